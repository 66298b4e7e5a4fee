"""A workspace for the crisis mode tests: a Facebook page on a loopback Graph API, a monitor for
battery posts, inbox rules (a marketing answer, an automatic answer, hiding insults), and an open
crisis of type safety_incident whose situation is on that monitor."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.channels.sending import OutboxSender
from crisisdesk.core.clock import SystemClock
from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.detection.models import Situation
from crisisdesk.inbox.models import Conversation
from crisisdesk.inbox.service import answered
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.sources.models import Monitor
from crisisdesk.workspace import load_workspace
from tests.channels.payloads import APP_SECRET, PAGE_ID, VERIFY_TOKEN, fb_comment, meta_body, meta_signature
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend

MARKETING = {"de": "Danke! Mit dem Code SOMMER10 sparen Sie 10 %.", "en": "Thanks! Save 10 % with SUMMER10."}
ANSWER = {"de": "Danke für Ihre Nachricht, wir melden uns.",
          "en": "Thanks for your message, we'll be in touch."}


def workspace_text(url: str, hide_at: float = 0.99) -> str:
    return f"""
time_zone: Europe/Berlin
monitors:
  - name: akku
    query: akku OR battery
channels:
  - key: voltaro-fb
    platform: facebook
    page_id: "{PAGE_ID}"
    access_token: page-token
    app_secret: {APP_SECRET}
    verify_token: {VERIFY_TOKEN}
    api_base: {url}
inbox:
  rules:
    - name: hide-insults
      when: {{public: true, insult_score_at_least: {hide_at}}}
      then: [{{hide: true}}]
      stop: true
    - name: summer-offer
      marketing: true
      when: {{query: 'danke OR thanks'}}
      then:
        - reply: {{de: "{MARKETING['de']}", en: "{MARKETING['en']}"}}
    - name: auto-answer
      when: {{query: 'akku OR battery'}}
      then:
        - reply: {{de: "{ANSWER['de']}", en: "{ANSWER['en']}"}}
"""


def graph_sink() -> Iterator[tuple[HttpSink, GraphSend]]:
    api = GraphSend("page-token", pages=(PAGE_ID,))
    with HttpSink(responder=api) as sink:
        yield sink, api


def make_runtime(workspace_file: Path, url: str, hide_at: float = 0.99) -> Runtime:
    workspace_file.write_text(workspace_text(url, hide_at), encoding="utf-8")
    return build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())


def seed_crisis(runtime: Runtime, *, severity: int = 3, kind: str = "safety_incident") -> tuple[int, int]:
    """An open crisis (and its one situation, on monitor ``akku``) since half an hour: (crisis, situation)."""
    opened = datetime.now(UTC) - timedelta(minutes=30)
    with Session(runtime.engine) as s, s.begin():
        monitor_id = s.scalar(select(Monitor.id).where(Monitor.name == "akku"))
        assert monitor_id is not None
        situation = Situation(monitor_id=monitor_id, cause="spike", status="open", severity=severity,
                              opened_at=opened, updated_at=opened, explanation="{}")
        crisis = Crisis(title="Akku-Brände", status="open", severity=severity, type=kind, opened_at=opened,
                        updated_at=opened, monitors=["akku"], reasons=[])
        s.add_all([situation, crisis])
        s.flush()
        s.add(CrisisSituation(situation_id=situation.id, crisis_id=crisis.id, joined_at=opened,
                              reason={"kind": "opened"}, by="auto"))
        return crisis.id, situation.id


_count = iter(range(1, 10_000))


def deliver(client: TestClient, runtime: Runtime, api: GraphSend, text: str, *, name: str = "Lena Krause"
            ) -> str:
    """A new comment under a post of its own (a conversation of its own); returns its id."""
    n = next(_count)
    post, comment = f"9{n:03d}", "1"
    author = f"55500{n:02d}"
    api.add_comment(f"{post}_{comment}", "facebook", author=author)
    body = meta_body("page", [{"id": PAGE_ID, "time": int(time.time()), "changes": [
        fb_comment(comment, text, post=post, author=author, name=name, created=int(time.time()))]}])
    r = client.post("/webhooks/voltaro-fb", content=body,
                    headers={"X-Hub-Signature-256": meta_signature(body), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    runtime.process_deliveries()
    return f"{post}_{comment}"


def send(runtime: Runtime) -> None:
    OutboxSender(lambda: runtime.engine, runtime.connectors, clock=SystemClock(), on_sent=answered,
                 hold=runtime.outbox_hold).run_once()


def replies_to(api: GraphSend, target: str) -> list[str]:
    """The texts of the comment replies the page sent to ``target``."""
    return [str(body["message"]) for new, body in api.created.items()
            if new in api.comments and api.comments[new].parent == target]


def conversation_of(runtime: Runtime, comment_id: str) -> Conversation:
    with Session(runtime.engine) as s:
        post = s.scalar(select(Post).where(Post.external_id == comment_id))
        assert post is not None
        found = s.scalar(select(Conversation).where(Conversation.platform == post.platform,
                                                    Conversation.thread == post.conversation_id))
        assert found is not None
        s.expunge(found)
        return found
