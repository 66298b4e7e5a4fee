"""The team's short questionnaire after a crisis: four questions to everyone who worked on it.

Who "the team" is comes from the record, not from a list someone keeps: the workspace's people
whose account appears in the crisis (they acted on its timeline, sent or approved its replies,
ticked its tasks, wrote or published its updates, acknowledged its situations), and the people
its playbook involves at the level it reached. Each is asked once, on their notification targets,
in their language, with a link to the questionnaire page; the crisis timeline notes it. The
service asks by itself once the crisis has ended (the minute's sweep); the review page can ask
earlier. Answers are kept per account (answering again replaces them) and shown in the review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.channels.models import OutboxItem
from crisisdesk.core.clock import Clock
from crisisdesk.crises import playbook
from crisisdesk.crises.models import Crisis, CrisisAction, CrisisSituation, CrisisTask
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.detection.models import Situation
from crisisdesk.notify.schemas import Lang, Notification, NotificationKind, TargetConfig
from crisisdesk.notify.service import enqueue
from crisisdesk.reports.actions import ReviewError
from crisisdesk.reports.models import QuestionnaireAnswer
from crisisdesk.updates.models import StakeholderUpdate

MAX_ANSWER = 4000
QUESTIONS: dict[str, dict[str, str]] = {
    "went_well": {"de": "Was lief gut?", "en": "What went well?"},
    "went_badly": {"de": "Was lief nicht gut?", "en": "What did not go well?"},
    "change": {
        "de": "Was sollten wir beim nächsten Mal anders machen (Playbook, Regeln, Werkzeuge)?",
        "en": "What should we do differently next time (playbook, rules, tools)?",
    },
    "prepared": {
        "de": "Wie gut vorbereitet fühlten Sie sich? (1 gar nicht … 5 voll)",
        "en": "How prepared did you feel? (1 not at all … 5 fully)",
    },
}
TEXTS = ("went_well", "went_badly", "change")


def _actors(session: Session, crisis: Crisis) -> set[str]:
    """Every account label that did something for the crisis (lower case)."""
    found: set[str] = set()
    queries = [
        select(CrisisAction.actor).where(CrisisAction.crisis_id == crisis.id),
        select(CrisisTask.done_by).where(CrisisTask.crisis_id == crisis.id),
        select(OutboxItem.created_by).where(OutboxItem.crisis_id == crisis.id),
        select(OutboxItem.approved_by).where(OutboxItem.crisis_id == crisis.id),
        select(Situation.acknowledged_by)
        .join(CrisisSituation, CrisisSituation.situation_id == Situation.id)
        .where(CrisisSituation.crisis_id == crisis.id),
    ]
    queries += [
        select(StakeholderUpdate.created_by).where(StakeholderUpdate.crisis_id == crisis.id),
        select(StakeholderUpdate.published_by).where(StakeholderUpdate.crisis_id == crisis.id),
    ]
    for query in queries:
        found |= {str(v).lower() for v in session.scalars(query.distinct()) if v}
    return found


def team_of(
    session: Session,
    crisis: Crisis,
    *,
    people: Mapping[str, object],
    roles: Mapping[str, Sequence[str]],
    types: Sequence[CrisisTypeConfig],
) -> list[str]:
    """The person keys of the workspace who worked on the crisis or whom its playbook involves."""
    actors = _actors(session, crisis)
    keys = [
        k
        for k, p in people.items()
        if (getattr(p, "email", None) or "").lower() in actors
        or str(getattr(p, "name", "")).lower() in actors
    ]
    ct = playbook.type_of(types, crisis.type)
    involved = playbook.people_of(ct.involved(crisis.severity), roles=roles) if ct is not None else []
    return sorted(set(keys) | {k for k in involved if k in people})


def _asked(session: Session, crisis_id: int) -> set[str]:
    """The person keys asked so far (from the timeline)."""
    out: set[str] = set()
    for detail in session.scalars(
        select(CrisisAction.detail).where(
            CrisisAction.crisis_id == crisis_id, CrisisAction.kind == "review.questionnaire"
        )
    ):
        people = detail.get("people")
        if isinstance(people, list):
            out |= {str(k) for k in people}
    return out


def sent_at(session: Session, crisis_id: int) -> datetime | None:
    return session.scalar(
        select(func.min(CrisisAction.at)).where(
            CrisisAction.crisis_id == crisis_id, CrisisAction.kind == "review.questionnaire"
        )
    )


def send(
    session: Session,
    crisis_id: int,
    *,
    people: Mapping[str, object],
    roles: Mapping[str, Sequence[str]],
    targets: Mapping[str, TargetConfig],
    types: Sequence[CrisisTypeConfig],
    base_url: str,
    lang: Lang,
    actor: Actor,
    now: datetime,
    clock: Clock,
) -> list[str]:
    """Ask the team (each once: the delivery key names the crisis and the target). Returns the
    person keys asked this time (empty when everyone was asked before)."""
    crisis = session.get(Crisis, crisis_id)
    if crisis is None:
        raise ReviewError(f"no crisis {crisis_id}")
    asked_before = _asked(session, crisis_id)
    team = [
        k for k in team_of(session, crisis, people=people, roles=roles, types=types) if k not in asked_before
    ]
    asked = []
    for key in team:
        person = people[key]
        language: Lang = getattr(person, "lang", None) or lang
        reached = False
        for name in getattr(person, "targets", []) or []:
            target = targets.get(name)
            if target is None:
                continue
            title = {
                "de": f"Nachbetrachtung Krise #{crisis.id}: vier kurze Fragen an Sie",
                "en": f"Crisis #{crisis.id} review: four short questions for you",
            }[language]
            summary = f"{crisis.title}\n" + "\n".join(f"• {q[language]}" for q in QUESTIONS.values())
            note = Notification(
                monitor="review",
                severity=min(max(crisis.severity, 1), 4),
                kind=NotificationKind.REMINDER,
                title=title,
                summary=summary[:1000],
                ack_url=f"{base_url.rstrip('/')}/crises/{crisis.id}/review/questionnaire",
                lang=language,
                occurred_at=now,
            )
            enqueue(
                session,
                key=f"questionnaire:{crisis.id}:{key}:{name}",
                target_name=name,
                kind=target.kind,
                notification=note,
                clock=clock,
            )
            reached = True
        if reached:
            asked.append(key)
    if asked:
        playbook.act(session, crisis.id, "review.questionnaire", actor=actor.label, at=now, people=asked)
        record(
            session,
            actor=actor,
            action=AuditAction.REVIEW_CHANGED,
            at=now,
            target_type="crisis",
            target_id=crisis.id,
            after={"questionnaire": asked},
        )
    return asked


def send_after_the_end(
    session: Session,
    *,
    people: Mapping[str, object],
    roles: Mapping[str, Sequence[str]],
    targets: Mapping[str, TargetConfig],
    types: Sequence[CrisisTypeConfig],
    base_url: str,
    lang: Lang,
    now: datetime,
    clock: Clock,
) -> list[int]:
    """The minute's sweep: ask the team of every crisis that ended and whose team was never asked."""
    asked = select(CrisisAction.crisis_id).where(CrisisAction.kind == "review.questionnaire")
    ended = session.scalars(
        select(Crisis.id)
        .where(Crisis.status == "resolved", Crisis.id.not_in(asked))
        .order_by(Crisis.id)
        .limit(50)
    ).all()
    done = []
    for crisis_id in ended:
        if send(
            session,
            crisis_id,
            people=people,
            roles=roles,
            targets=targets,
            types=types,
            base_url=base_url,
            lang=lang,
            actor=Actor("crisisdesk"),
            now=now,
            clock=clock,
        ):
            done.append(crisis_id)
        else:  # nobody to ask: noted all the same, so that the sweep does not look again
            playbook.act(
                session, crisis_id, "review.questionnaire", actor=Actor("crisisdesk").label, at=now, people=[]
            )
    return done


def answer(
    session: Session, crisis_id: int, person: str, values: Mapping[str, Any], *, actor: Actor, now: datetime
) -> dict[str, Any]:
    """Keep one person's answers (replacing earlier ones)."""
    if session.get(Crisis, crisis_id) is None:
        raise ReviewError(f"no crisis {crisis_id}")
    texts = {k: str(values.get(k) or "").strip() for k in TEXTS}
    for k, v in texts.items():
        if len(v) > MAX_ANSWER:
            raise ReviewError(f"{k}: {len(v)} characters; at most {MAX_ANSWER}", status=422)
    prepared = values.get("prepared")
    if prepared is not None and (not isinstance(prepared, int) or not 1 <= prepared <= 5):
        raise ReviewError(f"prepared: {prepared!r} is not 1 to 5", status=422)
    if not any(texts.values()) and prepared is None:
        raise ReviewError("answer at least one question", status=422)
    who = person.lower()
    row = session.get(QuestionnaireAnswer, (crisis_id, who))
    if row is None:
        row = QuestionnaireAnswer(crisis_id=crisis_id, person=who, answered_at=now)
        session.add(row)
    row.went_well, row.went_badly, row.change = texts["went_well"], texts["went_badly"], texts["change"]
    row.prepared, row.answered_at = prepared, now
    session.flush()
    record(
        session,
        actor=actor,
        action=AuditAction.REVIEW_CHANGED,
        at=now,
        target_type="crisis",
        target_id=crisis_id,
        after={"questionnaire_answer": who},
    )
    return answer_out(row)


def answer_out(row: QuestionnaireAnswer) -> dict[str, Any]:
    return {
        "person": row.person,
        "went_well": row.went_well,
        "went_badly": row.went_badly,
        "change": row.change,
        "prepared": row.prepared,
        "answered_at": row.answered_at.isoformat(),
    }


def summary(session: Session, crisis_id: int) -> dict[str, Any]:
    """What the review shows: when the team was asked, whom, and their answers."""
    rows = list(
        session.scalars(
            select(QuestionnaireAnswer)
            .where(QuestionnaireAnswer.crisis_id == crisis_id)
            .order_by(QuestionnaireAnswer.answered_at, QuestionnaireAnswer.person)
        )
    )
    asked = sorted(_asked(session, crisis_id))
    scores = [r.prepared for r in rows if r.prepared is not None]
    first = sent_at(session, crisis_id)
    return {
        "sent_at": first.isoformat() if first else None,
        "asked": asked,
        "answered": len(rows),
        "prepared_average": round(sum(scores) / len(scores), 1) if scores else None,
        "answers": [answer_out(r) for r in rows],
    }


def mine(session: Session, crisis_id: int, person: str) -> dict[str, Any] | None:
    row = session.get(QuestionnaireAnswer, (crisis_id, person.lower()))
    return answer_out(row) if row is not None else None
