"""The after-action review's figures, computed from a known crisis record (SQLite and PostgreSQL).

The record: two monitors (``akku``, ``marke``), a crisis of two situations (the akku spike 11:00 to
15:00, a keyword situation on marke 12:00 to 14:00), five posts inside their windows (one matched by
both monitors), posts before and after and one of marke after its situation ended, an escalation,
an acknowledgement, replies public and private, one reply held and approved, one held and rejected,
the holding statement ticked, an SLA breach. Every figure the review shows is checked below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crisisdesk.channels.models import OutboxItem
from crisisdesk.crises.models import Crisis, CrisisAction, CrisisSituation, CrisisTask
from crisisdesk.detection.models import Situation
from crisisdesk.escalation.models import Escalation
from crisisdesk.inbox.models import Conversation, ConversationEvent
from crisisdesk.posts.models import Author, Post
from crisisdesk.reports.review import build_review
from crisisdesk.sources.models import Monitor, MonitorMatch

T0 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def at(hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, minutes=minutes)


class Record:
    def __init__(self, session: Session) -> None:
        self.s = session
        self.n = 0
        self.akku = self._monitor("akku")
        self.marke = self._monitor("marke")
        self.big = Author(
            platform="facebook",
            external_id="a1",
            handle="big",
            name="Big",
            followers=1000,
            first_seen=T0,
            updated_at=T0,
        )
        self.small = Author(
            platform="facebook",
            external_id="a2",
            handle="small",
            name="Small",
            followers=50,
            first_seen=T0,
            updated_at=T0,
        )
        session.add_all([self.big, self.small])
        session.flush()

    def _monitor(self, name: str) -> int:
        m = Monitor(name=name, query=name, active=True, created_at=T0, updated_at=T0)
        self.s.add(m)
        self.s.flush()
        return m.id

    def post(
        self,
        when: datetime,
        monitors: list[int],
        *,
        platform: str = "facebook",
        sentiment: str = "neutral",
        author: Author | None = None,
        channel: str | None = None,
        kinds: list[str] | None = None,
        likes: int | None = None,
    ) -> int:
        self.n += 1
        p = Post(
            platform=platform,
            external_id=f"p{self.n}",
            kind="comment",
            created_at=when,
            text=f"post {self.n}",
            lang="de",
            channel=channel,
            conversation_id=f"thread-{self.n}",
            author_id=author.id if author is not None else None,
            likes=likes,
            sentiment=sentiment,
            complaint_types=orjson.dumps(kinds).decode() if kinds else None,
            raw="{}",
            content_hash=f"h{self.n}",
            ingested_at=when,
            updated_at=when,
            deleted_at=None,
        )
        self.s.add(p)
        self.s.flush()
        for m in monitors:
            self.s.add(MonitorMatch(monitor_id=m, post_id=p.id, post_created_at=when))
        return p.id

    def reply(
        self,
        post: int,
        *,
        action: str,
        sent: datetime | None,
        by: str,
        status: str = "sent",
        crisis: int | None = None,
        approval: str | None = None,
        approver: str | None = None,
        findings: list[str] | None = None,
    ) -> None:
        self.n += 1
        self.s.add(
            OutboxItem(
                channel="voltaro-fb",
                idempotency_key=f"k{self.n}",
                action=action,
                post_id=post,
                text="Danke",
                status=status,
                next_attempt_at=at(),
                sent_at=sent,
                created_at=at(),
                created_by=by,
                crisis_id=crisis,
                approval_state=approval,
                approved_by=approver,
                findings=[{"code": c} for c in findings or []],
            )
        )


def record(session: Session) -> int:
    r = Record(session)
    # the day before: four posts on akku, one negative
    for i in range(4):
        r.post(at(-2, i), [r.akku], sentiment="negative" if i == 0 else "neutral")
    p1 = r.post(
        at(0, 10), [r.akku], sentiment="negative", author=r.big, channel="voltaro-fb", kinds=["safety"]
    )
    p2 = r.post(
        at(1, 20), [r.akku, r.marke], sentiment="negative", author=r.small, channel="voltaro-fb", likes=3
    )
    r.post(at(1, 30), [r.marke], platform="x", author=r.big, kinds=["safety", "refund"])
    p4 = r.post(at(1, 40), [r.akku], sentiment="negative", channel="voltaro-fb")
    r.post(at(3, 10), [r.marke], platform="x", sentiment="positive")
    r.post(at(4, 30), [r.marke], sentiment="negative")  # marke's situation had ended: not the crisis's
    for i in range(2):  # the day after: calm
        r.post(at(7, i), [r.akku])
    s1 = Situation(
        monitor_id=r.akku,
        cause="spike",
        status="resolved",
        severity=3,
        opened_at=at(1),
        updated_at=at(5),
        resolved_at=at(5),
        acknowledged_at=at(1, 20),
        acknowledged_by="oliver@example.org",
        explanation=orjson.dumps({"top_terms": ["akku", "brand*", '"qualm"']}).decode(),
    )
    s2 = Situation(
        monitor_id=r.marke,
        cause="keyword",
        status="resolved",
        severity=2,
        opened_at=at(2),
        updated_at=at(4),
        resolved_at=at(4),
        explanation="{}",
    )
    session.add_all([s1, s2])
    session.flush()
    c = Crisis(
        title="akku",
        status="resolved",
        severity=4,
        type="safety_incident",
        opened_at=at(1),
        updated_at=at(6),
        resolved_at=at(6),
        monitors=["akku", "marke"],
        reasons=[],
        type_confirmed_by="lead@example.org",
        type_confirmed_at=at(1, 30),
    )
    session.add(c)
    session.flush()
    for s in (s1, s2):
        session.add(CrisisSituation(situation_id=s.id, crisis_id=c.id, joined_at=s.opened_at, reason={}))
    session.add(
        Escalation(
            situation_id=s1.id,
            severity=3,
            status="acknowledged",
            chain="[]",
            next_step=1,
            started_at=at(1, 2),
            updated_at=at(1, 20),
        )
    )
    r.reply(p1, action="reply_public", sent=at(2), by="agent@example.org")
    r.reply(p4, action="reply_private", sent=at(1, 50), by="agent@example.org")
    r.reply(
        p1,
        action="reply_public",
        sent=at(2, 30),
        by="agent2@example.org",
        crisis=c.id,
        approval="approved",
        approver="spokes@example.org",
        findings=["excuse"],
    )
    r.reply(
        p2,
        action="reply_public",
        sent=None,
        by="agent2@example.org",
        status="rejected",
        crisis=c.id,
        approval="rejected",
        approver=None,
        findings=["excuse", "no_name"],
    )
    session.add(
        CrisisTask(
            crisis_id=c.id,
            key="holding_statement",
            title={"de": "H", "en": "H"},
            owner="role:spokesperson",
            due_at=at(1, 30),
            done_at=at(2, 15),
            done_by="lead@example.org",
            created_at=at(1, 30),
        )
    )
    session.add_all(
        [
            CrisisAction(
                crisis_id=c.id, at=at(1, 30), actor="lead@example.org", kind="type.confirmed", detail={}
            ),
            CrisisAction(crisis_id=c.id, at=at(2, 15), actor="lead@example.org", kind="task.done", detail={}),
            CrisisAction(crisis_id=c.id, at=at(6), actor="crisisdesk", kind="crisis.resolved", detail={}),
        ]
    )
    conv = Conversation(
        platform="facebook",
        thread="thread-6",
        channel="voltaro-fb",
        created_at=at(1, 20),
        updated_at=at(3),
        last_message_at=at(1, 20),
    )  # thread-6 is p2's
    session.add(conv)
    session.flush()
    session.add(ConversationEvent(conversation_id=conv.id, at=at(3), kind="sla.breached", actor="crisisdesk"))
    session.commit()
    return c.id


def dig(review: dict[str, Any], path: str) -> Any:
    value: Any = review
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


EXPECTED: list[tuple[str, Any]] = [
    ("figures.time_to_detect", 50 * 60.0),  # first post 10:10, first situation 11:00
    ("figures.time_to_alert", 2 * 60.0),  # the page went out at 11:02
    ("figures.time_to_acknowledge", 18 * 60.0),  # acknowledged 11:20
    ("figures.time_to_first_public_response", 3600.0),  # public reply sent 12:00
    ("figures.time_to_holding_statement", 75 * 60.0),  # ticked 12:15
    ("figures.time_to_resolution", 5 * 3600.0),  # resolved 16:00
    ("posts.total", 5),  # the post of both monitors once; 14:30 on marke is outside
    ("posts.negative", 3),
    ("posts.negative_share", 0.6),
    ("posts.audience", 2050),  # 1000 + 50 + 1000 + 0 + 0 followers
    ("posts.engagement", 3),
    ("step_seconds", 3600),
    ("curve.0.at", T0.isoformat()),
    ("curve.0.volume", 1),
    ("curve.1.volume", 3),
    ("curve.1.negative", 2),
    ("curve.1.audience", 1050),
    ("curve.1.negative_audience", 50),  # the big author's post at 11:30 was neutral
    ("curve.0.negative_audience", 1000),
    ("curve.1.complaint_types", {"safety": 1, "refund": 1}),
    ("curve.2.at", at(3).isoformat()),
    ("channels.0.platform", "facebook"),
    ("channels.0.posts", 3),
    ("channels.0.negative_share", 1.0),
    ("channels.1.platform", "x"),
    ("channels.1.negative", 0),
    ("complaint_types", [{"type": "safety", "posts": 2}, {"type": "refund", "posts": 1}]),
    ("terms.0.terms", ["akku", "brand", "qualm"]),
    ("sentiment.before.negative_share", 0.25),
    ("sentiment.during.negative_share", 0.6),
    ("sentiment.after.posts", 2),
    ("sentiment.after.negative_share", 0.0),
    ("sentiment.recovered", True),
    ("responses.0.channel", "voltaro-fb"),
    ("responses.0.posts", 3),
    ("responses.0.answered", 2),
    ("responses.0.response_rate", 0.6667),
    ("responses.0.response_seconds.n", 3),
    ("responses.0.response_seconds.median", 6600.0),  # 600 (private), 6600, 8400
    ("sla_breaches", 1),
    ("team.replies_public", 2),
    ("team.replies_private", 1),
    ("team.held_for_approval", 2),
    ("team.approved", 1),
    ("team.rejected", 1),
    ("team.findings", {"excuse": 2, "no_name": 1}),
    ("workload.0", {"person": "agent@example.org", "replies": 2, "approvals": 0, "tasks": 0, "actions": 0}),
    ("workload.1", {"person": "lead@example.org", "replies": 0, "approvals": 0, "tasks": 1, "actions": 1}),
]

MILESTONES = [
    ("first_post", at(0, 10)),
    ("detected", at(1)),
    ("crisis_opened", at(1)),
    ("peak", at(1)),
    ("first_alert", at(1, 2)),
    ("acknowledged", at(1, 20)),
    ("type_confirmed", at(1, 30)),
    ("first_public_response", at(2)),
    ("holding_statement", at(2, 15)),
    ("resolved", at(6)),
]


@pytest.fixture
def review(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        crisis_id = record(session)
        built = build_review(session, crisis_id, now=at(30))
    assert built is not None
    return built


def test_every_figure_of_the_review_follows_from_the_record(review: dict[str, Any]) -> None:
    wrong = [
        (path, dig(review, path), expected) for path, expected in EXPECTED if dig(review, path) != expected
    ]
    assert not wrong, "\n".join(f"{p}: got {g!r}, expected {e!r}" for p, g, e in wrong)


def test_the_key_moments_are_in_time_order_with_who(review: dict[str, Any]) -> None:
    got = [(m["key"], m["at"]) for m in review["milestones"]]
    assert sorted(got, key=lambda m: m[1]) == got
    assert sorted(got) == sorted((k, v.isoformat()) for k, v in MILESTONES)
    by_key = {m["key"]: m for m in review["milestones"]}
    assert by_key["acknowledged"]["detail"] == {"by": "oliver@example.org"}
    assert by_key["first_public_response"]["detail"]["by"] == "agent@example.org"


def test_an_unknown_crisis_has_no_review(engine: Engine) -> None:
    with Session(engine) as session:
        assert build_review(session, 999, now=T0) is None


def test_an_open_crisis_has_no_after_figures_and_no_resolution(engine: Engine) -> None:
    with Session(engine) as session:
        crisis_id = record(session)
        c = session.get_one(Crisis, crisis_id)
        c.status, c.resolved_at = "open", None
        session.commit()
        built = build_review(session, crisis_id, now=at(30))
    assert built is not None
    assert built["final"] is False
    assert built["figures"]["time_to_resolution"] is None
    assert built["sentiment"]["after"] is None and built["sentiment"]["recovered"] is None
    assert "resolved" not in {m["key"] for m in built["milestones"]}
