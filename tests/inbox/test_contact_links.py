"""One contact where the platform says two ids are one person, on both databases: an agent answers a
Facebook comment privately, Meta's answer names the person's Messenger id (``recipient_id``), and
when a chat from that id arrives its contact joins the commenter's (linked ``auto``, audited, and
undone like a merge by hand); a chat from anybody else stays a contact of its own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.audit.models import AuditEntry
from crisisdesk.inbox.models import ContactIdentity
from tests.accounts.fixtures import World
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend
from tests.inbox.test_rules_private import agent, chat, comment, conversation_of, detail, send

__all__ = ["graph", "world"]
from tests.inbox.test_rules_private import graph, world

LENA = "5550001"  # her id under the page's comments
LENA_CHAT = "psid-77"  # her id in Messenger, which Meta names when it takes our private reply


def contact(world: World, contact_id: int) -> dict[str, Any]:
    r = world.client.get(f"/api/v1/contacts/{contact_id}", headers=agent(world))
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


@pytest.mark.parametrize(("writes", "same"), [(LENA_CHAT, True), ("psid-99", False)],
                         ids=["the-person-meta-named", "somebody-else"])
def test_a_private_reply_to_a_comment_links_the_persons_chat_to_their_contact(
        world: World, graph: tuple[HttpSink, GraphSend], writes: str, same: bool) -> None:
    _, api = graph
    api.add_comment("900_72", "facebook", author=LENA_CHAT)
    comment(world, "72", "Mein Akku ist nach zwei Tagen kaputt.", author=LENA, name="Lena Krause")
    public = conversation_of(world, "900")
    answer = world.client.post(f"/api/v1/conversations/{public}/messages", headers=agent(world),
                               json={"text": "Das tut uns leid, Lena. Wir schreiben Ihnen hier.",
                                     "private": True})
    assert answer.status_code == 202, answer.text
    send(world)
    chat(world, "m_72", "Hallo, hier ist Lena wegen des Akkus.", sender=writes)
    private = conversation_of(world, f":{writes}")
    commenter = detail(world, public)["contact_id"]
    chatter = detail(world, private)["contact_id"]
    assert (chatter == commenter) is same
    ids = {i["id"] for i in contact(world, commenter)["identities"]}
    assert ids == ({LENA, LENA_CHAT} if same else {LENA})
    with Session(world.runtime.engine) as session:
        merges = session.scalars(select(AuditEntry).where(AuditEntry.action == "contacts.merged")).all()
        linked = session.scalars(select(ContactIdentity.linked)).all()
    if not same:
        assert merges == [] and set(linked) == {"auto"}
        return
    (merge,) = merges
    assert merge.actor == "system" and merge.after is not None and merge.after["linked"] == "auto"
    assert set(linked) == {"auto"}  # nobody merged by hand
    assert {c["id"] for c in contact(world, commenter)["conversations"]} == {public, private}
    # a wrong link is undone like a merge by hand
    undo = world.client.post(f"/api/v1/contacts/{commenter}/unmerge", headers=agent(world),
                             json={"other": int(merge.after["merged"])})
    assert undo.status_code == 200, undo.text
    assert detail(world, private)["contact_id"] != detail(world, public)["contact_id"]
