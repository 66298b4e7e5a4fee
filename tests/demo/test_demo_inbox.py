"""``crisisdesk demo`` works its inbox: the crisis's messages become conversations, the workspace's
rules move complaints to private chats with a ticket and hide insults, and the simulated team
takes conversations, answers them with saved replies, hands one over with a note and confirms the
hidden insults; every reply leaves through the outbox and is sent to the platforms' stand-in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisisdesk.channels.models import OutboxItem
from crisisdesk.cli.main import app
from crisisdesk.demo.inbox_setup import APOLOGY, COME_PRIVATE, TICKET_FOLLOW_UP
from crisisdesk.demo.own_channels import ChannelSecrets
from crisisdesk.demo.platforms import PlatformSink
from crisisdesk.demo.workspace import workspace_yaml
from crisisdesk.inbox.models import Conversation, ConversationEvent, ModerationReview, RuleRun
from crisisdesk.workspace import parse_config

AGENTS = {"mia@crisisdesk.example", "sam@crisisdesk.example"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("demo-inbox")
    result = CliRunner().invoke(app, ["demo", "--speed", "max", "--no-live", "--no-web", "--calm-days", "2",
                                      "--crisis-days", "1", "--keep", str(root)])
    assert result.exit_code == 0, result.output
    return result.output, root / "crisisdesk.db"


def test_rules_route_complaints_to_private_chats_and_hide_insults(run: tuple[str, Path]) -> None:
    _, db = run
    with Session(create_engine(f"sqlite:///{db}")) as session:
        assert (session.scalar(select(func.count()).select_from(Conversation)
                               .where(Conversation.channel == "voltaro-fb")) or 0) > 50
        runs = list(session.scalars(select(RuleRun)))
        moved = [r for r in runs if r.rule == "complaints-to-private"]
        assert moved, "no complaint was moved to a private chat"
        for r in moved:
            done = {a["action"]: a for a in r.actions}
            assert done["move_to_private"]["ok"] and done["ticket"]["ok"], r.actions
            public, private = (session.get(OutboxItem, i) for i in done["move_to_private"]["outbox"])
            assert public is not None and private is not None
            assert (public.action, private.action) == ("reply_public", "reply_private")
            assert public.status == private.status == "sent"
            assert done["ticket"]["ticket"] in (private.text or "")  # the ticket is named to the person
            conversation = session.get(Conversation, r.conversation_id)
            assert conversation is not None and conversation.ticket == done["ticket"]["ticket"]
            assert {"complaint", "moved-to-private"} <= set(conversation.tags)
            assert conversation.priority in {"high", "urgent"}  # urgent: safety-urgent matched too
        hidden = [r for r in runs if r.rule == "hide-insults"]
        assert hidden, "no insult was hidden"
        for r in hidden:
            hide = session.get(OutboxItem, r.actions[1]["outbox"])
            assert hide is not None and (hide.action, hide.status) == ("hide", "sent")
        reviews = list(session.scalars(select(ModerationReview)))
        assert len(reviews) == len(hidden)
        assert all(r.status == "confirmed" and r.decided_by in AGENTS for r in reviews)


def test_the_team_answers_with_saved_replies_and_hands_one_over(run: tuple[str, Path]) -> None:
    output, db = run
    with Session(create_engine(f"sqlite:///{db}")) as session:
        replies = list(session.scalars(select(OutboxItem).where(OutboxItem.created_by.in_(AGENTS))))
        assert len(replies) >= 5
        assert {r.created_by for r in replies} == AGENTS
        assert all(r.status == "sent" and r.external_id for r in replies)
        assert {r.action for r in replies} == {"reply_public", "reply_private"}
        assert not any("{{" in (r.text or "") for r in replies)
        assert any((r.text or "").startswith("Hallo ") for r in replies)  # German for German messages
        assert any((r.text or "").startswith("Hi ") for r in replies)
        taken = list(session.scalars(select(Conversation).where(Conversation.assignee_user_id.is_not(None))))
        assert len(taken) == len(replies)
        assert all(c.first_response_at is not None for c in taken)
        notes = list(session.scalars(select(ConversationEvent).where(ConversationEvent.kind == "note")))
        assert len(notes) == 1 and notes[0].actor == "mia@crisisdesk.example"
        handed = list(session.scalars(select(ConversationEvent).where(
            ConversationEvent.conversation_id == notes[0].conversation_id,
            ConversationEvent.kind == "assigned")))
        assert len(handed) == 2 and handed[0].body["to"] == handed[1].body["from"] != handed[1].body["to"]
    # the timeline says what the team did, the summary what left
    assert re.search(r"inbox\s+Mia Schulz took conversation #\d+ \(voltaro-\w+\) and answered (publicly|"
                     r"privately \(ticket \d{4}-\d{4}\)) with the saved reply", output)
    assert re.search(r"inbox\s+Mia Schulz handed conversation #\d+ to Sam Taylor with a note", output)
    assert re.search(r"inbox\s+\w+ \w+ confirmed hiding an insult", output)
    assert re.search(r"inbox rules: complaints-to-private \d+×, hide-insults \d+×, safety-urgent \d+×",
                     output)
    assert re.search(r"simulated team: \d+ conversations taken, \d+ moves; moderation reviews: "
                     r"confirmed \d+; refused 0", output)
    assert not re.search(r"│ reply_\w+\s+│ (failed|uncertain|queued)", output)


def test_the_demo_workspace_has_saved_replies_in_both_languages() -> None:
    config = parse_config(workspace_yaml("http://127.0.0.1:9", webhook_secret="s" * 24,
                                         channels=ChannelSecrets.generate(), feed_url="http://127.0.0.1:9/feed",
                                         platforms_url="http://127.0.0.1:8"), path="crisisdesk.yaml")
    replies = {r.name: r for r in config.inbox.saved_replies}
    assert set(replies) == {APOLOGY, TICKET_FOLLOW_UP, COME_PRIVATE}
    for reply in replies.values():
        assert reply.text.de and reply.text.en
        assert "{{contact.first_name}}" in reply.text.de and "{{contact.first_name}}" in reply.text.en
    assert "{{ticket}}" in replies[TICKET_FOLLOW_UP].text.de  # type: ignore[operator]
    assert [r.name for r in config.inbox.rules] == ["hide-insults", "complaints-to-private", "safety-urgent"]
    sending = [c for c in config.channels if c.platform in {"whatsapp", "facebook", "viber"}]
    assert sending and all((c.api_base or "").startswith("http://127.0.0.1:8") for c in sending)


def test_the_platforms_stand_in_refuses_a_wrong_token() -> None:
    """A channel configured with the wrong token fails as it would against Meta or Viber."""
    with PlatformSink(graph_tokens={"right": "104772301"}, viber_token="viber-right") as platforms:
        status, answer = platforms.answer("POST", "/v25.0/104772301_1/comments",
                                          {"authorization": "Bearer wrong"}, b'{"message": "hi"}')
        assert (status, answer["error"]["code"]) == (400, 190)
        status, answer = platforms.answer("POST", "/viber/send_message", {"x-viber-auth-token": "wrong"},
                                          b'{"receiver": "u1", "type": "text", "text": "hi"}')
        assert answer["status"] == 2
        status, answer = platforms.answer("POST", "/v25.0/104772301_1/comments",
                                          {"authorization": "Bearer right"}, b'{"message": "hi"}')
        assert status == 200 and answer["id"]
        calls = [(c.platform, c.action, c.text) for c in platforms.calls]
        assert calls == [("facebook", "reply_public", "hi")]
