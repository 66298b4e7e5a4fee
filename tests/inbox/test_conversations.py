"""The inbox over HTTP on both databases: Telegram messages arrive by webhook and become
conversations with a contact, listed by view with counts and pages; an agent answers (one call
reaches the loopback Bot API), which marks the conversation answered; assignment, status, tags and
notes go to its timeline; a new message reopens a resolved conversation; analysts only read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisisdesk.accounts.roles import Role
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.core.clock import SystemClock
from crisisdesk.inbox.service import answered
from tests.channels.payloads import TG_SECRET, tg_update
from tests.channels.test_outbox_flow import runtime_of, token
from tests.fakes.http_sink import HttpSink
from tests.fakes.telegram_bot import TelegramBotApi

LENA, JONAS = 987654321, 555666777
__all__ = ["bot", "client", "workspace"]  # fixtures shared with the outbox flow tests
from tests.channels.test_outbox_flow import bot, client, workspace  # noqa: E402


def message(
    client: TestClient,
    update_id: int,
    chat: int,
    text: str,
    *,
    message_id: int,
    date: int = 1764846000,
    name: str = "Lena",
) -> None:
    update = tg_update(
        update_id,
        text=text,
        message_id=message_id,
        date=date,
        chat={"id": chat, "type": "private", "first_name": name},
    )
    update["message"]["from"] = {"id": chat, "is_bot": False, "first_name": name, "language_code": "de"}
    r = client.post(
        "/webhooks/voltaro-tg",
        content=json.dumps(update).encode(),
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    runtime_of(client).process_deliveries()


def send_due(client: TestClient) -> None:
    runtime = runtime_of(client)
    OutboxSender(lambda: runtime.engine, runtime.connectors, clock=SystemClock(), on_sent=answered).run_once()


@pytest.fixture
def people(client: TestClient) -> dict[str, dict[str, str]]:
    return {"agent": token(client, Role.AGENT), "analyst": token(client, Role.ANALYST)}


def test_messages_become_conversations_that_an_agent_answers(
    client: TestClient, bot: tuple[HttpSink, TelegramBotApi], people: dict[str, dict[str, str]]
) -> None:
    sink, api = bot
    api.message(LENA, 50)
    api.message(LENA, 51)
    message(client, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
    message(client, 2, LENA, "Hallo?? Niemand da?", message_id=51, date=1764846600)
    message(client, 3, JONAS, "Wann kommt meine Lieferung?", message_id=60, date=1764846300, name="Jonas")
    agent, analyst = people["agent"], people["analyst"]

    page = client.get("/api/v1/conversations", headers=analyst).json()
    assert [c["subject"] for c in page["items"]] == ["Mein Akku ist geplatzt!", "Wann kommt meine Lieferung?"]
    lena = page["items"][0]
    assert (lena["messages"], lena["public"], lena["channel"]) == (2, False, "voltaro-tg")
    assert lena["waiting_since"].startswith("2025-12-04T11:00:00")
    assert page["counts"]["all"] == 2 and page["counts"]["waiting"] == 2 and page["counts"]["unassigned"] == 2

    first = client.get("/api/v1/conversations", params={"limit": 1}, headers=analyst).json()
    second = client.get(
        "/api/v1/conversations", params={"limit": 1, "after": first["next"]}, headers=analyst
    ).json()
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [c["id"] for c in page["items"]]
    assert second["next"] is None
    assert (
        client.get("/api/v1/conversations", params={"after": "nonsense"}, headers=analyst).status_code == 400
    )
    found = client.get("/api/v1/conversations", params={"q": "LIEFERUNG"}, headers=analyst).json()["items"]
    assert [c["subject"] for c in found] == ["Wann kommt meine Lieferung?"]

    contact = client.get(f"/api/v1/contacts/{lena['contact_id']}", headers=analyst).json()
    assert contact["identities"] == [
        {"platform": "telegram", "id": str(LENA), "handle": None, "name": "Lena"}
    ]
    assert [c["id"] for c in contact["conversations"]] == [lena["id"]]

    reply = {"text": "Das tut uns leid, Lena. Bitte laden Sie den Akku nicht mehr; wir rufen heute an."}
    assert (
        client.post(f"/api/v1/conversations/{lena['id']}/messages", json=reply, headers=analyst).status_code
        == 403
    )
    queued = client.post(f"/api/v1/conversations/{lena['id']}/messages", json=reply, headers=agent)
    assert queued.status_code == 202 and queued.json()["status"] == "queued", queued.text
    assert queued.json()["private"] is True  # a chat is answered privately
    send_due(client)
    calls = [r.json() for r in sink.requests if r.path.endswith("/sendMessage")]
    assert len(calls) == 1 and calls[0]["chat_id"] == LENA
    assert calls[0]["reply_parameters"] == {"message_id": 51}  # the latest message

    detail = client.get(f"/api/v1/conversations/{lena['id']}", headers=analyst).json()
    assert [(m["direction"], m["text"][:12]) for m in detail["messages"]] == [
        ("in", "Mein Akku is"),
        ("in", "Hallo?? Niem"),
        ("out", "Das tut uns "),
    ]
    out = detail["messages"][-1]
    assert (
        out["status"] == "sent"
        and out["external_id"].startswith(f"{LENA}:")
        and out["by"] == "agent@example.org"
    )
    assert detail["waiting_since"] is None and detail["first_response_at"] is not None
    perf = client.get("/api/v1/inbox/performance", params={"days": 30}, headers=analyst).json()
    assert perf["conversations"] == 2 and perf["first_response_seconds"]["n"] == 1
    assert perf["first_response_seconds"]["median"] > 0  # from Lena's first message to our reply
    assert perf["replies"] == [{"by": "agent@example.org", "channel": "voltaro-tg", "count": 1}]
    assert perf["waiting_for_us"] == 1 and perf["unassigned_open"] == 2
    waiting = client.get("/api/v1/conversations", params={"view": "waiting"}, headers=analyst).json()
    assert [c["subject"] for c in waiting["items"]] == ["Wann kommt meine Lieferung?"]


def test_assignment_status_tags_and_notes_make_a_timeline(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    message(client, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
    agent, analyst = people["agent"], people["analyst"]
    cid = client.get("/api/v1/conversations", headers=agent).json()["items"][0]["id"]
    me = client.get("/api/v1/me", headers=agent).json()["user"]["id"]
    assert (
        client.patch(f"/api/v1/conversations/{cid}", json={"priority": "high"}, headers=analyst).status_code
        == 403
    )
    changed = client.patch(
        f"/api/v1/conversations/{cid}",
        headers=agent,
        json={"assignee_user_id": me, "priority": "urgent", "tags": ["akku", " akku", "safety"]},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["assignee_user_id"], changed.json()["priority"], changed.json()["tags"]) == (
        me,
        "urgent",
        ["akku", "safety"],
    )
    assert (
        client.patch(
            f"/api/v1/conversations/{cid}", json={"assignee_user_id": 99999}, headers=agent
        ).status_code
        == 422
    )
    assert (
        client.patch(f"/api/v1/conversations/{cid}", json={"status": "snoozed"}, headers=agent).status_code
        == 422
    )  # snoozed until when?
    note = client.post(
        f"/api/v1/conversations/{cid}/notes",
        json={"text": "Kundin ist verunsichert, bitte anrufen"},
        headers=agent,
    )
    assert note.status_code == 201 and note.json()["kind"] == "note"
    mine = client.get("/api/v1/conversations", params={"view": "mine"}, headers=agent).json()
    assert [c["id"] for c in mine["items"]] == [cid]
    assert client.get("/api/v1/conversations", params={"view": "mine"}, headers=analyst).json()["items"] == []
    resolved = client.patch(f"/api/v1/conversations/{cid}", json={"status": "resolved"}, headers=agent)
    assert resolved.json()["status"] == "resolved"
    assert client.get("/api/v1/conversations", headers=agent).json()["items"] == []  # open ones by default

    message(client, 2, LENA, "Jetzt qualmt der zweite Akku!", message_id=52, date=1764850000)
    reopened = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()
    assert reopened["status"] == "open" and reopened["message_count"] == 2
    kinds = [(e["kind"], e["actor"]) for e in reopened["events"]]
    assert kinds == [
        ("priority", "agent@example.org"),
        ("assigned", "agent@example.org"),
        ("tags", "agent@example.org"),
        ("note", "agent@example.org"),
        ("status", "agent@example.org"),
        ("reopened", "system"),
    ]
    assert reopened["events"][3]["text"] == "Kundin ist verunsichert, bitte anrufen"


def test_imported_replies_and_messages_are_threaded(
    workspace: Path, client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    posts: list[dict[str, Any]] = [
        {
            "platform": "facebook",
            "id": f"c{i}",
            "created_at": f"2026-12-01T10:0{i}:00Z",
            "text": text,
            "kind": "comment",
            "conversation_id": "post-1",
            "in_reply_to": "post-1",
            "author": {"id": f"u{i % 2}", "name": f"Fan {i % 2}"},
        }
        for i, text in enumerate(["Was ist mit dem Akku?", "Gleiche Frage", "Und?"])
    ]
    r = client.post("/api/v1/posts", json=posts, headers={"Authorization": "Bearer t"})
    assert r.status_code == 200 and r.json()["summary"]["imported"] == 3, r.text
    items = client.get("/api/v1/conversations", headers=people["analyst"]).json()["items"]
    assert [(c["platform"], c["thread"], c["messages"], c["channel"]) for c in items] == [
        ("facebook", "post-1", 3, None)
    ]
    again = client.post(
        "/api/v1/posts", json=posts, headers={"Authorization": "Bearer t"}
    )  # repeats count once
    assert again.json()["summary"]["duplicates"] == 3
    assert (
        client.get(f"/api/v1/conversations/{items[0]['id']}", headers=people["analyst"]).json()[
            "message_count"
        ]
        == 3
    )
    refused = client.post(
        f"/api/v1/conversations/{items[0]['id']}/messages", json={"text": "Hallo"}, headers=people["agent"]
    )
    assert refused.status_code == 422 and "connected channel" in refused.json()["detail"]


def test_unknown_conversation_is_404(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    assert client.get("/api/v1/conversations/4242", headers=people["analyst"]).status_code == 404
    assert (
        client.post(
            "/api/v1/conversations/4242/notes", json={"text": "x"}, headers=people["agent"]
        ).status_code
        == 404
    )
    assert client.get("/api/v1/contacts/4242", headers=people["analyst"]).status_code == 404


def _unused(_: Iterator[None]) -> None: ...


def test_contacts_merge_and_the_merge_can_be_undone(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    message(client, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
    message(client, 2, JONAS, "Ich bin Lena, vom Handy meines Mannes", message_id=60, name="Jonas")
    agent, analyst = people["agent"], people["analyst"]
    items = client.get("/api/v1/conversations", headers=agent).json()["items"]
    lena, other = (
        next(c["contact_id"] for c in items if c["subject"].startswith(s)) for s in ("Mein", "Ich bin")
    )
    assert (
        client.post(f"/api/v1/contacts/{lena}/merge", json={"other": other}, headers=analyst).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/contacts/{lena}/merge", json={"other": lena}, headers=agent).status_code == 422
    )
    assert (
        client.post(f"/api/v1/contacts/{lena}/merge", json={"other": 4242}, headers=agent).status_code == 404
    )
    merged = client.post(f"/api/v1/contacts/{lena}/merge", json={"other": other}, headers=agent)
    assert merged.status_code == 200 and merged.json()["identities_moved"] == 1
    page = client.get(f"/api/v1/contacts/{lena}", headers=agent).json()
    assert sorted(i["id"] for i in page["identities"]) == sorted([str(LENA), str(JONAS)])
    assert len(page["conversations"]) == 2
    assert (
        client.post(f"/api/v1/contacts/{lena}/merge", json={"other": other}, headers=agent).status_code == 409
    )
    undone = client.post(f"/api/v1/contacts/{lena}/unmerge", json={"other": other}, headers=agent)
    assert undone.status_code == 200 and undone.json()["identities_returned"] == 1
    assert [i["id"] for i in client.get(f"/api/v1/contacts/{lena}", headers=agent).json()["identities"]] == [
        str(LENA)
    ]
    back = client.get(f"/api/v1/contacts/{other}", headers=agent).json()
    assert [c["subject"] for c in back["conversations"]] == ["Ich bin Lena, vom Handy meines Mannes"]


def test_colleagues_see_each_other_and_a_reply_after_a_colleagues_asks_first(
    client: TestClient, bot: tuple[HttpSink, TelegramBotApi], people: dict[str, dict[str, str]]
) -> None:
    _, api = bot
    api.message(LENA, 50)
    message(client, 1, LENA, "Mein Akku ist geplatzt!", message_id=50)
    agent = people["agent"]
    lead = token(client, Role.CRISIS_LEAD)
    cid = client.get("/api/v1/conversations", headers=agent).json()["items"][0]["id"]
    url = f"/api/v1/conversations/{cid}"
    assert client.put(f"{url}/presence", json={}, headers=agent).json() == []
    seen_by_lead = client.put(
        f"{url}/presence", json={"typing": True, "draft": "Hallo Lena,"}, headers=lead
    ).json()
    assert [p["name"] for p in seen_by_lead] == ["agent"]
    seen_by_agent = client.put(f"{url}/presence", json={}, headers=agent).json()
    assert [(p["name"], p["typing"], p["draft"]) for p in seen_by_agent] == [
        ("crisis_lead", True, "Hallo Lena,")
    ]
    assert client.put("/api/v1/conversations/4242/presence", json={}, headers=agent).status_code == 404

    newest = client.get(url, headers=agent).json()["messages"][-1]["id"]
    first = client.post(f"{url}/messages", json={"text": "Wir kümmern uns.", "seen": newest}, headers=lead)
    assert first.status_code == 202
    clash = client.post(f"{url}/messages", json={"text": "Das tut uns leid!", "seen": newest}, headers=agent)
    assert clash.status_code == 409 and "crisis_lead@example.org answered meanwhile" in clash.json()["detail"]
    seen_now = client.get(url, headers=agent).json()["messages"][-1]["id"]
    assert (
        client.post(
            f"{url}/messages", json={"text": "Ergänzung", "seen": seen_now}, headers=agent
        ).status_code
        == 202
    )
    forced = client.post(
        f"{url}/messages", json={"text": "Noch was", "seen": newest, "force": True}, headers=agent
    )
    assert forced.status_code == 202


def test_a_snoozed_conversation_wakes_when_its_time_comes(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from crisisdesk.inbox.service import wake_snoozed

    message(client, 1, LENA, "Ich melde mich morgen wieder", message_id=50)
    agent = people["agent"]
    cid = client.get("/api/v1/conversations", headers=agent).json()["items"][0]["id"]
    until = datetime.now(UTC) + timedelta(hours=1)
    snoozed = client.patch(
        f"/api/v1/conversations/{cid}",
        json={"status": "snoozed", "snoozed_until": until.isoformat()},
        headers=agent,
    )
    assert snoozed.status_code == 200 and snoozed.json()["status"] == "snoozed"
    assert client.get("/api/v1/conversations", headers=agent).json()["items"] == []
    engine = runtime_of(client).engine
    with Session(engine) as session, session.begin():
        assert wake_snoozed(session, until - timedelta(minutes=1)) == 0
    with Session(engine) as session, session.begin():
        assert wake_snoozed(session, until + timedelta(seconds=1)) == 1
    woke = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()
    assert woke["status"] == "open" and woke["snoozed_until"] is None
    assert [e["kind"] for e in woke["events"]][-1] == "woke"
