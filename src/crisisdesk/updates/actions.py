"""Writing, approving and publishing a stakeholder update.

``draft → awaiting_approval → approved → published``, or ``rejected`` (then edited back to a
draft). Submitting runs the reply guideline checker (no blame, no excuses, a real apology, empathy,
a next step and a time frame) and keeps its findings for the approver. The approval gate is the
one of public replies (:class:`crisisdesk.crises.approval.Gate`): the crisis type's
spokespersons, else everyone with the permission to approve replies; a spokesperson's own update
is approved when submitted (they are the gate). Publishing goes to every chosen channel in one
step (publishing.py). Every step is on the crisis timeline and in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.core.clock import Clock
from crisisdesk.crises import playbook
from crisisdesk.crises.approval import Gate
from crisisdesk.crises.mode_effects import quarter_up
from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.detection.models import Situation
from crisisdesk.guidelines import check_reply
from crisisdesk.updates import drafts, publishing, service
from crisisdesk.updates.config import CHANNEL, Audience, Phase
from crisisdesk.updates.models import Publication, StakeholderUpdate, UpdateStatus
from crisisdesk.updates.service import UpdatesError

MAX_TITLE, MAX_BODY, MAX_COMMENT = 300, 20_000, 2000
EDITABLE = (UpdateStatus.DRAFT, UpdateStatus.REJECTED)


def _crisis(session: Session, crisis_id: int) -> Crisis:
    crisis = session.get(Crisis, crisis_id)
    if crisis is None:
        raise UpdatesError(f"no crisis {crisis_id}", status=404)
    return crisis


def get(session: Session, crisis_id: int, update_id: int) -> StakeholderUpdate:
    row = session.get(StakeholderUpdate, update_id)
    if row is None or row.crisis_id != crisis_id:
        raise UpdatesError(f"no update {update_id} of crisis {crisis_id}", status=404)
    return row


def _channels(channels: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, channel in enumerate(channels):
        if not CHANNEL.match(channel):
            raise UpdatesError(f"channels[{i}] {channel!r}: write status_page, press_release, email:LIST, "
                               "social:CHANNEL, target:NAME, role:NAME or person:NAME", status=422)
        if channel not in out:
            out.append(channel)
    if not out:
        raise UpdatesError("an update needs at least one channel", status=422)
    return out


ORDER = (Phase.INVESTIGATING, Phase.IDENTIFIED, Phase.MONITORING)


def phase_of(session: Session, crisis: Crisis, last: Phase | None) -> Phase:
    """Where the crisis stands, for a new draft: resolved once it is; monitoring while all its
    situations are calm; identified once a person confirmed its type; never behind what the last
    update said, unless a situation flared up again after it said monitoring."""
    if crisis.status != "open":
        return Phase.RESOLVED
    linked = CrisisSituation.situation_id == Situation.id
    statuses = set(session.scalars(select(Situation.status).join(CrisisSituation, linked)
                                   .where(CrisisSituation.crisis_id == crisis.id)))
    calm = bool(statuses) and statuses <= {"resolved"}
    base = Phase.MONITORING if calm else Phase.IDENTIFIED if crisis.type_confirmed_by else Phase.INVESTIGATING
    told = last if last in ORDER else Phase.INVESTIGATING
    if told is Phase.MONITORING and not calm:
        told = Phase.IDENTIFIED
    return max(base, told, key=ORDER.index)


def create(session: Session, crisis_id: int, audience: str, gate: Gate, *, lang: str, actor: Actor,
           now: datetime, zone: ZoneInfo) -> StakeholderUpdate:
    """A new draft for ``audience``, prefilled from the crisis record and the audience's plan."""
    crisis = _crisis(session, crisis_id)
    if lang not in ("de", "en"):
        raise UpdatesError(f"lang {lang!r}: de or en", status=422)
    row = service.plan_row(session, crisis, gate.types, now=now)
    plan = next((p for p in service.plan_of(row) if p.audience.value == audience), None)
    if plan is None:
        known = ", ".join(p.audience.value for p in service.plan_of(row)) or "none"
        if audience not in {a.value for a in Audience}:
            raise UpdatesError(f"unknown audience {audience!r}", status=422)
        raise UpdatesError(f"the crisis's update plan has no audience {audience!r} (it has: {known}); "
                           "add it to the plan first", status=422)
    last = service.last_published(session, crisis.id).get(audience)
    phase = phase_of(session, crisis, Phase(last.phase) if last is not None else None)
    open_ = crisis.status == "open"
    next_at = quarter_up(now + timedelta(hours=plan.every_hours)) if plan.every_hours and open_ else None
    draft = drafts.prefill(crisis, gate.type_of(crisis), plan, lang=lang, phase=phase, next_update_at=next_at,
                           zone=zone, now=now)
    update = StakeholderUpdate(crisis_id=crisis.id, audience=audience, lang=lang, phase=draft.phase,
                               title=draft.title, body=draft.body, channels=list(plan.channels),
                               status=UpdateStatus.DRAFT, next_update_at=next_at, created_at=now,
                               created_by=actor.label, updated_at=now)
    session.add(update)
    session.flush()
    record(session, actor=actor, action=AuditAction.UPDATE_CHANGED, at=now, target_type="update",
           target_id=update.id, after={"crisis": crisis.id, "audience": audience, "created": True})
    return update


def edit(session: Session, crisis_id: int, update_id: int, *, actor: Actor, now: datetime,
         title: str | None = None, body: str | None = None, channels: Sequence[str] | None = None,
         phase: str | None = None, next_update_at: datetime | None = None, clear_next: bool = False
         ) -> StakeholderUpdate:
    """Change a draft (or a rejected update, which becomes a draft again)."""
    row = get(session, crisis_id, update_id)
    if row.status not in EDITABLE:
        raise UpdatesError(f"update {update_id} is {row.status}: only drafts and rejected updates change")
    before = {"title": row.title, "body": row.body, "channels": row.channels, "phase": row.phase}
    if title is not None:
        if not title.strip() or len(title) > MAX_TITLE:
            raise UpdatesError(f"title: 1 to {MAX_TITLE} characters", status=422)
        row.title = title.strip()
    if body is not None:
        if not body.strip() or len(body) > MAX_BODY:
            raise UpdatesError(f"body: 1 to {MAX_BODY} characters", status=422)
        row.body = body.strip()
    if channels is not None:
        row.channels = _channels(channels)
    if phase is not None:
        try:
            row.phase = Phase(phase)
        except ValueError:
            raise UpdatesError(f"phase {phase!r}: {', '.join(p.value for p in Phase)}", status=422) from None
    if next_update_at is not None or clear_next:
        row.next_update_at = None if clear_next else next_update_at
    row.status, row.findings, row.updated_at = UpdateStatus.DRAFT, None, now
    record(session, actor=actor, action=AuditAction.UPDATE_CHANGED, at=now, target_type="update",
           target_id=row.id, before=before,
           after={"title": row.title, "body": row.body, "channels": row.channels, "phase": row.phase})
    return row


def check(row: StakeholderUpdate, gate: Gate, crisis: Crisis) -> list[dict[str, Any]]:
    """The reply guideline checker's findings on the update's text (title and body)."""
    ct = gate.type_of(crisis)
    result = check_reply(f"{row.title}\n\n{row.body}", row.lang, apology_expected=ct.apology if ct else True)
    return [{"code": f.code.value, "message": f.message, "start": f.start, "end": f.end,
             "suggestion": f.suggestion} for f in result.findings]


def submit(session: Session, crisis_id: int, update_id: int, gate: Gate, *, actor: Actor, email: str | None,
           can_approve: bool, now: datetime) -> StakeholderUpdate:
    """Check the draft and ask for approval; a spokesperson's own update is approved at once."""
    row = get(session, crisis_id, update_id)
    if row.status not in EDITABLE:
        raise UpdatesError(f"update {update_id} is {row.status}: only drafts are submitted")
    crisis = _crisis(session, crisis_id)
    row.findings = check(row, gate, crisis)
    row.status, row.updated_at = UpdateStatus.AWAITING_APPROVAL, now
    record(session, actor=actor, action=AuditAction.UPDATE_CHANGED, at=now, target_type="update",
           target_id=row.id, after={"submitted": True, "findings": [f["code"] for f in row.findings]})
    playbook.act(session, crisis.id, "update.submitted", actor=actor.label, at=now, update=row.id,
                 audience=row.audience, findings=[f["code"] for f in row.findings])
    if gate.may_speak(crisis, email, can_approve):
        return approve(session, crisis_id, update_id, gate, actor=actor, email=email, can_approve=can_approve,
                       now=now)
    return row


def _decide(session: Session, crisis_id: int, update_id: int, gate: Gate, *, email: str | None,
            can_approve: bool) -> tuple[StakeholderUpdate, Crisis]:
    row = get(session, crisis_id, update_id)
    if row.status != UpdateStatus.AWAITING_APPROVAL:
        raise UpdatesError(f"update {update_id} is {row.status}, not awaiting approval")
    crisis = _crisis(session, crisis_id)
    if not gate.may_speak(crisis, email, can_approve):
        named = gate.spokespersons(crisis)
        who = ", ".join(sorted(named)) if named else "people with the permission approve_replies"
        raise UpdatesError(f"only the spokespersons of crisis #{crisis_id} approve its updates: {who}",
                           status=403)
    return row, crisis


def _settle(session: Session, row: StakeholderUpdate, status: UpdateStatus, values: dict[str, Any]) -> None:
    """Record the decision only if nobody decided first (two approvers at once: one wins, 409)."""
    done = session.execute(sql_update(StakeholderUpdate).where(
        StakeholderUpdate.id == row.id, StakeholderUpdate.status == UpdateStatus.AWAITING_APPROVAL)
        .values(status=status, **values).execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise UpdatesError(f"update {row.id} was decided meanwhile")
    session.refresh(row)


def approve(session: Session, crisis_id: int, update_id: int, gate: Gate, *, actor: Actor, email: str | None,
            can_approve: bool, now: datetime) -> StakeholderUpdate:
    row, crisis = _decide(session, crisis_id, update_id, gate, email=email, can_approve=can_approve)
    _settle(session, row, UpdateStatus.APPROVED, {"decided_by": actor.label, "decided_at": now,
                                                  "updated_at": now})
    record(session, actor=actor, action=AuditAction.UPDATE_DECIDED, at=now, target_type="update",
           target_id=row.id, after={"approved": True})
    playbook.act(session, crisis.id, "update.approved", actor=actor.label, at=now, update=row.id,
                 audience=row.audience, author=row.created_by)
    return row


def reject(session: Session, crisis_id: int, update_id: int, gate: Gate, *, actor: Actor, email: str | None,
           can_approve: bool, now: datetime, comment: str) -> StakeholderUpdate:
    said = comment.strip()
    if not said or len(said) > MAX_COMMENT:
        raise UpdatesError(f"a rejection needs a comment for the author (at most {MAX_COMMENT} characters)",
                           status=422)
    row, crisis = _decide(session, crisis_id, update_id, gate, email=email, can_approve=can_approve)
    _settle(session, row, UpdateStatus.REJECTED, {"decided_by": actor.label, "decided_at": now,
                                                  "comment": said, "updated_at": now})
    record(session, actor=actor, action=AuditAction.UPDATE_DECIDED, at=now, target_type="update",
           target_id=row.id, after={"approved": False, "comment": said})
    playbook.act(session, crisis.id, "update.rejected", actor=actor.label, at=now, update=row.id,
                 audience=row.audience, author=row.created_by, comment=said)
    return row


def publish(session: Session, crisis_id: int, update_id: int, outlets: publishing.Outlets, *, actor: Actor,
            now: datetime, clock: Clock) -> list[Publication]:
    """Publish an approved update to each of its channels (each channel's outcome is its row)."""
    row = get(session, crisis_id, update_id)
    if row.status != UpdateStatus.APPROVED:
        raise UpdatesError(f"update {update_id} is {row.status}: only approved updates are published")
    crisis = _crisis(session, crisis_id)
    done = session.execute(sql_update(StakeholderUpdate).where(
        StakeholderUpdate.id == row.id, StakeholderUpdate.status == UpdateStatus.APPROVED)
        .values(status=UpdateStatus.PUBLISHED, published_at=now, published_by=actor.label, updated_at=now,
                crisis_state=service.state_of(crisis)).execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise UpdatesError(f"update {update_id} was published meanwhile")
    session.refresh(row)
    pubs = [publishing.publish_to(session, row, crisis, channel, outlets, actor=actor, now=now, clock=clock)
            for channel in row.channels]
    where = [{"channel": p.channel, "state": p.state} for p in pubs]
    record(session, actor=actor, action=AuditAction.UPDATE_PUBLISHED, at=now, target_type="update",
           target_id=row.id, after={"crisis": crisis.id, "title": row.title, "channels": where})
    playbook.act(session, crisis.id, "update.published", actor=actor.label, at=now, update=row.id,
                 audience=row.audience, title=row.title, channels=where)
    return pubs
