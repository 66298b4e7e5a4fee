"""Publishing an approved update to each of its channels in one step, and following how far each
publication got.

Each channel becomes a :class:`~crisisdesk.updates.models.Publication` in the publishing
transaction; what leaves crisisdesk leaves through the senders that already own it, after commit:
social posts through the channel outbox (``Action.PUBLISH``, idempotency key ``update:<id>``), the
e-mail lists through the update mail queue (one mail per confirmed subscriber, with
``List-Unsubscribe``), internal channels through the notification deliveries. The status page
and the press release are ours: they are out the moment the transaction commits. A channel that
cannot take the update (no such list, a social account that cannot publish) is a failed
publication with the reason, and the others still go out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor
from crisisdesk.channels import outbox
from crisisdesk.channels.base import Capability, Connector
from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import Action
from crisisdesk.core.clock import Clock
from crisisdesk.crises import playbook
from crisisdesk.crises.models import Crisis
from crisisdesk.notify.models import Delivery
from crisisdesk.notify.schemas import Notification, NotificationKind
from crisisdesk.notify.service import enqueue
from crisisdesk.updates.config import SUBSCRIBERS, UpdatesConfig, channel_kind
from crisisdesk.updates.models import Publication, PublicationState, StakeholderUpdate
from crisisdesk.updates.reminders import Reach


@dataclass(frozen=True)
class Outlets:
    """Where updates can go: the enabled connectors, the people and targets, the lists, the page."""

    connectors: Mapping[str, Connector]
    reach: Reach
    lists: frozenset[str] = frozenset({SUBSCRIBERS})
    slug: str = "status"
    status_page: bool = True
    #: The workspace's updates section (the lists' names for the mails' subjects and List-Id).
    config: UpdatesConfig | None = None


def social_text(update: StakeholderUpdate) -> str:
    """A social post says the title and the body; the platform's limit is the connector's to check."""
    return f"{update.title}\n\n{update.body}".strip()


def _pub(session: Session, update: StakeholderUpdate, channel: str, state: PublicationState, detail: str,
         now: datetime, outbox_item_id: int | None = None) -> Publication:
    row = Publication(update_id=update.id, channel=channel, state=state, detail=detail, created_at=now,
                      updated_at=now, outbox_item_id=outbox_item_id)
    session.add(row)
    session.flush()
    return row


def publish_to(session: Session, update: StakeholderUpdate, crisis: Crisis, channel: str, outlets: Outlets, *,
               actor: Actor, now: datetime, clock: Clock) -> Publication:
    """One channel's publication (its row, and what was queued for its sender)."""
    kind, _, name = channel.partition(":")
    base = outlets.reach.base_url.rstrip("/")
    if kind == "status_page":
        if not outlets.status_page:
            return _pub(session, update, channel, PublicationState.FAILED, "the status page is switched off",
                        now)
        return _pub(session, update, channel, PublicationState.DELIVERED, f"{base}/status/{outlets.slug}",
                    now)
    if kind == "press_release":
        return _pub(session, update, channel, PublicationState.DELIVERED,
                    f"{base}/crises/{crisis.id}/updates/{update.id}/press-release", now)
    if kind == "email":
        if name not in outlets.lists:
            return _pub(session, update, channel, PublicationState.FAILED, f"no e-mail list {name!r}", now)
        from crisisdesk.updates.mailing import list_name_of, queue_update_mails

        row = _pub(session, update, channel, PublicationState.QUEUED, "", now)
        said = list_name_of(outlets.config, name, update.lang) if outlets.config is not None else None
        queue_update_mails(session, publication_id=row.id, update=update, list_key=name, base_url=base,
                           slug=outlets.slug, now=now, list_name=said)
        return row
    if kind == "social":
        connector = outlets.connectors.get(name)
        if connector is None or Capability.PUBLISH not in connector.capabilities:
            why = "not enabled" if connector is None else "it cannot publish posts"
            return _pub(session, update, channel, PublicationState.FAILED, f"channel {name}: {why}", now)
        try:
            item, _ = outbox.enqueue(session, outbox.OutboundRequest(
                channel=name, action=Action.PUBLISH, idempotency_key=f"update:{update.id}",
                text=social_text(update), language=update.lang), connectors=outlets.connectors, actor=actor,
                now=now)
        except outbox.OutboxError as exc:
            return _pub(session, update, channel, PublicationState.FAILED, str(exc), now)
        item.crisis_id = crisis.id
        return _pub(session, update, channel, PublicationState.QUEUED, "", now, outbox_item_id=item.id)
    # internal: a target, or the targets of a role's or person's people
    assert channel_kind(channel) == "internal"
    names = {name: outlets.reach.lang} if kind == "target" else outlets.reach.targets_of([channel])
    names = {n: lang for n, lang in names.items() if n in outlets.reach.targets}
    if not names:
        return _pub(session, update, channel, PublicationState.FAILED, "no notification target to reach", now)
    row = _pub(session, update, channel, PublicationState.QUEUED, "", now)
    for target in sorted(names):
        note = Notification(monitor="updates", severity=min(max(crisis.severity, 1), 4),
                            kind=NotificationKind.UPDATE, title=update.title, summary=update.body[:3000],
                            ack_url=f"{base}/crises/{crisis.id}/updates",
                            lang="de" if update.lang == "de" else "en", occurred_at=now)
        enqueue(session, key=f"update-pub:{row.id}:{target}", target_name=target,
                kind=outlets.reach.targets[target].kind, notification=note, clock=clock)
    return row


def refresh(session: Session, publications: list[Publication], *, now: datetime) -> None:
    """Move queued publications on from what their senders report (the outbox, the notifications);
    the mail sender moves the e-mail lists' own."""
    for pub in publications:
        if pub.state != PublicationState.QUEUED:
            continue
        state, detail = None, pub.detail
        if pub.outbox_item_id is not None:
            item = session.get(OutboxItem, pub.outbox_item_id)
            if item is not None and item.status == OutboxStatus.SENT:
                state, detail = PublicationState.DELIVERED, item.external_id or ""
            elif item is not None and item.status in (OutboxStatus.FAILED, OutboxStatus.REJECTED,
                                                      OutboxStatus.UNCERTAIN):
                state, detail = PublicationState.FAILED, item.last_error or item.status
        elif channel_kind(pub.channel) == "internal":
            rows = list(session.scalars(select(Delivery).where(Delivery.key.like(f"update-pub:{pub.id}:%"))))
            statuses = [r.status for r in rows]
            if rows and all(s in ("sent", "failed") for s in statuses):
                sent = statuses.count("sent")
                state = (PublicationState.DELIVERED if sent == len(rows) else
                         PublicationState.FAILED if sent == 0 else PublicationState.PARTLY)
                detail = f"{sent} of {len(rows)} targets"
        if state is not None:
            pub.state, pub.detail, pub.updated_at = state, detail, now
            note_outcome(session, pub, now=now)


def note_outcome(session: Session, pub: Publication, *, now: datetime) -> None:
    """Put a publication's final word on the crisis timeline: where the update went and whether it
    arrived (``update.delivery``), once, when it leaves ``queued``."""
    if pub.state == PublicationState.QUEUED:
        return
    update = session.get(StakeholderUpdate, pub.update_id)
    if update is None:
        return
    playbook.act(session, update.crisis_id, "update.delivery", actor="crisisdesk", at=now, update=update.id,
                 audience=update.audience, channel=pub.channel, state=pub.state, detail=pub.detail)


def refresh_queued(session: Session, *, now: datetime, limit: int = 500) -> int:
    """Bring every queued social and internal publication up to date (the ticker's minute; the
    list mails' own are moved by their sender). Returns how many were looked at."""
    rows = list(session.scalars(select(Publication).where(
        Publication.state == PublicationState.QUEUED, Publication.channel.not_like("email:%"))
        .order_by(Publication.id).limit(limit)))
    refresh(session, rows, now=now)
    return len(rows)
