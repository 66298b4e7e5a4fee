"""An answer typed in the platform's own app (WhatsApp Business app with the Cloud API on the same
number: ``smb_message_echoes``) answers the conversation as one sent from crisisdesk does: the
person no longer waits, the first response and the ticket's due time follow, the thread shows it as
ours and sent elsewhere; the platform's echo of a reply sent from crisisdesk is shown once; our
private answers do not count as posts we published."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.core.clock import SystemClock
from crisisdesk.posts.models import Post
from crisisdesk.reports.models import ChannelDay
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.channels.payloads import (
    PNID,
    WABA_ID,
    meta_body,
    meta_signature,
    wa_channel_yaml,
    wa_text,
    wa_value,
)
from tests.channels.test_outbox_flow import token
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend

PERSON = "4915112345678"
OUR_NUMBER = "15550783881"


def _echo(wamid: str, text: str, at: int) -> dict[str, Any]:
    value = wa_value()["value"] | {"message_echoes": [
        {"from": OUR_NUMBER, "to": PERSON, "id": wamid, "timestamp": str(at), "type": "text",
         "text": {"body": text}}]}
    return {"field": "smb_message_echoes", "value": value}


def _deliver(client: TestClient, runtime: Runtime, change: dict[str, Any]) -> None:
    body = meta_body("whatsapp_business_account", [{"id": WABA_ID, "changes": [change]}])
    headers = {"X-Hub-Signature-256": meta_signature(body), "Content-Type": "application/json"}
    answer = client.post("/webhooks/voltaro-wa", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    runtime.process_deliveries()


def _page(client: TestClient, path: str, lang: str) -> str:
    """The page as the agent's browser gets it (signed in through the form)."""
    browser = TestClient(client.app, base_url="http://localhost", headers={"Accept-Language": lang})
    signed = browser.post("/login", data={"email": "agent@example.org", "password": "a long enough password",
                                          "next": "/"}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    page = browser.get(path)
    assert page.status_code == 200, page.text
    return page.text


def test_an_answer_from_the_business_app_answers_the_conversation(workspace_file: Path) -> None:
    api = GraphSend("wa-token", numbers=(PNID,))
    with HttpSink(responder=api) as sink:
        sla = "inbox:\n  sla: {enabled: true, business_hours: false}\n"
        workspace_file.write_text(wa_channel_yaml(sink.url) + sla, encoding="utf-8")
        runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
        with TestClient(create_app(runtime, api_token="t")) as client:
            now = int(time.time())
            asked = wa_text("wamid.Q1", "Mein Akku qualmt!", ts=str(now - 600))
            _deliver(client, runtime, wa_value(messages=[asked]))
            agent = token(client, Role.AGENT)
            cid = client.get("/api/v1/conversations", headers=agent).json()["items"][0]["id"]
            assert client.patch(f"/api/v1/conversations/{cid}", json={"ticket": True},
                                headers=agent).status_code == 200
            before = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()
            assert before["waiting_since"] is not None and before["first_response_at"] is None
            assert before["first_response_due"] is not None

            # the team answers in the WhatsApp Business app on the phone
            _deliver(client, runtime, _echo("wamid.APP1", "Bitte nicht mehr laden, wir rufen an.", now - 300))
            after = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()
            assert after["waiting_since"] is None
            assert after["first_response_at"].startswith(
                time.strftime("%Y-%m-%dT%H:%M", time.gmtime(now - 300)))
            assert after["first_response_due"] is None and after["last_outbound_at"] is not None
            thread = after["messages"]
            assert [(m["direction"], m["elsewhere"]) for m in thread] == [("in", False), ("out", True)]
            assert thread[1]["text"] == "Bitte nicht mehr laden, wir rufen an." and thread[1]["private"]
            assert thread[1]["status"] == "sent" and thread[1]["outbox_id"] is None
            for lang, label in (("de", "außerhalb gesendet"), ("en", "sent elsewhere")):
                page = _page(client, f"/inbox/{cid}", lang)
                own_id = thread[1]["post_id"]
                shown = re.search(rf'<article class="message out" id="own-{own_id}".*?</article>', page, re.S)
                assert shown and label in shown.group(0), page
                assert "Bitte nicht mehr laden, wir rufen an." in shown.group(0)

            # a message written before our answer that arrives after it (platforms do not promise
            # order) does not make the person wait again
            late = wa_text("wamid.Q0", "Hallo?", ts=str(now - 400))
            _deliver(client, runtime, wa_value(messages=[late]))
            late_seen = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()
            assert late_seen["waiting_since"] is None and late_seen["message_count"] == 2

            # the person writes again: waiting again; our own echo never reopens or counts as theirs
            _deliver(client, runtime, wa_value(messages=[wa_text("wamid.Q2", "Wann?", ts=str(now - 200))]))
            again = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()
            assert again["waiting_since"].startswith(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(now - 200)))
            assert again["message_count"] == 3

            # a reply sent from crisisdesk, then the platform's echo of it: one message in the thread
            sent = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": "Heute bis 18 Uhr."},
                               headers=agent)
            assert sent.status_code == 202, sent.text
            OutboxSender(lambda: runtime.engine, runtime.connectors, clock=SystemClock(),
                         on_sent=runtime.answered).run_once()
            with runtime.engine.connect() as conn:
                wamid = conn.execute(select(OutboxItem.external_id)).scalar_one()
            assert wamid is not None and wamid in api.created
            _deliver(client, runtime, _echo(wamid, "Heute bis 18 Uhr.", int(time.time())))
            final = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()
            texts = [(m["direction"], m["text"]) for m in final["messages"]]
            assert texts.count(("out", "Heute bis 18 Uhr.")) == 1 and len(texts) == 5
            assert final["waiting_since"] is None

        with runtime.engine.connect() as conn:
            own = conn.execute(select(Post.external_id).where(Post.own.is_(True)).order_by(Post.id)).scalars()
            assert list(own) == ["wamid.APP1", wamid]
            published = conn.execute(select(func.coalesce(func.sum(ChannelDay.posts), 0))
                                     .where(ChannelDay.own.is_(True))).scalar_one()
            assert published == 0  # private answers are conversation, not what we published
        runtime.close()
