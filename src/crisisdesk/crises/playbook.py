"""Running a crisis by its playbook: suggest its type, bound its severity by the type, turn the
checklist into tasks, and keep the crisis timeline of what people did.

The type is suggested from the crisis's posts (their complaint types and the type's terms) and
may change while nobody has confirmed it; a person's confirmation fixes it and creates the tasks
of the checklist up to the crisis's level (more follow when it rises). Every action lands on the
timeline (:class:`~crisisdesk.crises.models.CrisisAction`) and in the audit log.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.crises.models import Crisis, CrisisAction, CrisisTask
from crisisdesk.crises.types import CrisisTypeConfig

#: A suggestion needs this many matching posts, and this share of all.
MIN_POSTS, MIN_SHARE = 2, 0.05


class PlaybookError(Exception):
    """A playbook action that cannot be done; ``status`` is the HTTP answer (404, 409 or 422)."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Suggestion:
    type: str
    posts: int  # posts that fit it
    of: int  # posts looked at
    reason: dict[str, str]


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    parts = [re.escape(t[:-1]) + r"\w*" if t.endswith("*") else re.escape(t) + r"\b" for t in terms]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")", re.IGNORECASE) if parts else None


def suggest(types: Sequence[CrisisTypeConfig], posts: Sequence[tuple[str, Sequence[str]]],
            terms: Iterable[str] = ()) -> Suggestion | None:
    """The type that fits the posts best (each post: its text and complaint types), or None.

    A post fits a type when it carries one of its complaint types or names one of its terms; the
    count is weighted by the type's lowest severity, so thirty posts about a fire outweigh sixty
    about a broken product: the danger decides, as in :mod:`crisisdesk.crises.danger`."""
    situation_terms = " ".join(terms)
    best: tuple[float, CrisisTypeConfig, int, Counter[str]] | None = None
    for ct in types:
        pattern = _pattern(ct.recognise.terms)
        wanted = set(ct.recognise.complaint_types)
        n, why = 0, Counter[str]()
        for text, kinds in posts:
            hit = [k for k in kinds if k in wanted]
            found = pattern.findall(text) if pattern is not None else []
            if hit or found:
                n += 1
                why.update(hit)
                why.update(f.lower() for f in found[:2])
        if n < max(MIN_POSTS, MIN_SHARE * len(posts)):
            continue  # the posts decide whether it fits at all (one post is no pattern)
        bonus = 1 if pattern is not None and pattern.search(situation_terms) else 0
        score = (n + bonus) * ct.min_severity
        if best is None or score > best[0]:
            best = (score, ct, n, why)
    if best is None:
        return None
    _, ct, n, why = best
    cues = ", ".join(w for w, _ in why.most_common(4))
    return Suggestion(ct.key, n, len(posts), {
        "de": f"{n} von {len(posts)} Beiträgen passen zu „{ct.name.de}“ ({cues}).",
        "en": f"{n} of {len(posts)} posts fit “{ct.name.en}” ({cues})."})


def bound(ct: CrisisTypeConfig, level: int, *, confirmed: bool) -> tuple[int, dict[str, str] | None]:
    """The type's severity bounds on ``level``: its floor always (raising errs on the safe side),
    its ceiling only once a person confirmed the type."""
    if level < ct.min_severity:
        return ct.min_severity, {"de": f"Krisentyp „{ct.name.de}“: mindestens Stufe {ct.min_severity}.",
                                 "en": f"Crisis type “{ct.name.en}”: at least level {ct.min_severity}."}
    if confirmed and level > ct.max_severity:
        return ct.max_severity, {"de": f"Krisentyp „{ct.name.de}“ (bestätigt): höchstens Stufe "
                                       f"{ct.max_severity}.",
                                 "en": f"Crisis type “{ct.name.en}” (confirmed): at most level "
                                       f"{ct.max_severity}."}
    return level, None


def type_of(types: Sequence[CrisisTypeConfig], key: str | None) -> CrisisTypeConfig | None:
    return next((t for t in types if t.key == key), None)


def act(session: Session, crisis_id: int, kind: str, *, actor: str, at: datetime,
        **detail: object) -> CrisisAction:
    """Put one action on the crisis timeline (in the caller's transaction)."""
    action = CrisisAction(crisis_id=crisis_id, at=at, actor=actor, kind=kind, detail=dict(detail))
    session.add(action)
    return action


def sync_tasks(session: Session, crisis: Crisis, ct: CrisisTypeConfig, *, at: datetime) -> list[CrisisTask]:
    """Create the checklist's tasks the crisis's level calls for and it does not have yet."""
    have = set(session.scalars(select(CrisisTask.key).where(CrisisTask.crisis_id == crisis.id)))
    added = []
    for item in ct.tasks_at(crisis.severity):
        if item.key in have:
            continue
        task = CrisisTask(crisis_id=crisis.id, key=item.key, title=item.title.model_dump(), owner=item.owner,
                          due_at=crisis.opened_at + timedelta(minutes=item.due_minutes), created_at=at)
        session.add(task)
        added.append(task)
    if added:
        session.flush()
        act(session, crisis.id, "tasks.added", actor="crisisdesk", at=at, tasks=[t.key for t in added],
            level=crisis.severity)
    return added


def confirm_type(session: Session, crisis_id: int, key: str, types: Sequence[CrisisTypeConfig], *,
                 actor: Actor, now: datetime, ip: str | None = None) -> Crisis:
    """A person confirms (or changes) the crisis's type: it stays, and its checklist becomes tasks."""
    crisis = session.get(Crisis, crisis_id)
    if crisis is None:
        raise PlaybookError(f"no crisis {crisis_id}", status=404)
    ct = type_of(types, key)
    if ct is None:
        raise PlaybookError(f"no crisis type {key!r}; the workspace has: {', '.join(t.key for t in types)}",
                            status=422)
    before = {"type": crisis.type, "confirmed_by": crisis.type_confirmed_by}
    crisis.type, crisis.type_confirmed_by, crisis.type_confirmed_at = key, actor.label, now
    crisis.updated_at = max(crisis.updated_at, now)
    act(session, crisis.id, "type.confirmed", actor=actor.label, at=now, type=key, before=before["type"])
    sync_tasks(session, crisis, ct, at=now)
    record(session, actor=actor, action=AuditAction.CRISIS_CHANGED, at=now, target_type="crisis",
           target_id=crisis.id, before=before, after={"type": key, "confirmed_by": actor.label}, ip=ip)
    session.flush()
    return crisis


def set_task(session: Session, crisis_id: int, task_id: int, *, done: bool, actor: Actor, now: datetime,
             ip: str | None = None) -> CrisisTask:
    """Tick a task off (or open it again)."""
    task = session.get(CrisisTask, task_id)
    if task is None or task.crisis_id != crisis_id:
        raise PlaybookError(f"crisis {crisis_id} has no task {task_id}", status=404)
    if done == (task.done_at is not None):
        return task
    task.done_at, task.done_by = (now, actor.label) if done else (None, None)
    act(session, crisis_id, "task.done" if done else "task.reopened", actor=actor.label, at=now,
        task=task.key, title=task.title)
    record(session, actor=actor, action=AuditAction.CRISIS_CHANGED, at=now, target_type="crisis",
           target_id=crisis_id, before={"task": task.key, "done": not done}, after={"task": task.key,
                                                                                   "done": done}, ip=ip)
    session.flush()
    return task


def people_of(refs: Iterable[str], *, roles: Mapping[str, Sequence[str]]) -> list[str]:
    """The person keys ``role:``/``person:`` references name, in order, each once."""
    out: list[str] = []
    for ref in refs:
        kind, _, name = ref.partition(":")
        for person in ([name] if kind == "person" else list(roles.get(name, ()))):
            if person not in out:
                out.append(person)
    return out


def spokesperson_emails(ct: CrisisTypeConfig | None, *, roles: Mapping[str, Sequence[str]],
                        emails: Mapping[str, str | None]) -> frozenset[str] | None:
    """The account e-mails of the type's spokespersons (lower-case); None when the type names none
    that resolve to an account, so that approving falls to everyone with the right to approve."""
    if ct is None or not ct.spokespersons:
        return None
    found = {str(emails[p]).lower() for p in people_of(ct.spokespersons, roles=roles) if emails.get(p)}
    return frozenset(found) or None


def timeline(session: Session, crisis_id: int, *, limit: int = 500) -> list[CrisisAction]:
    return list(session.scalars(select(CrisisAction).where(CrisisAction.crisis_id == crisis_id)
                                .order_by(CrisisAction.at, CrisisAction.id).limit(limit)))


def tasks(session: Session, crisis_id: int) -> list[CrisisTask]:
    return list(session.scalars(select(CrisisTask).where(CrisisTask.crisis_id == crisis_id)
                                .order_by(CrisisTask.due_at, CrisisTask.id)))
