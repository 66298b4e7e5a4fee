"""The inbox and crisis side of a :class:`crisisdesk.runtime.Runtime`: the inbox rules in the
pipeline, notices, the outbox sender and what holds it back (crisis mode, the approval gate),
ticket SLAs, the monthly plan reminders, and waking the senders after a commit.

A base class of ``Runtime`` (which holds the state it names), on top of the channel part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crisisdesk.bus.base import Message
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.outbox import Hold
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.cluster.signals import MAILS, NOTICES, OUTBOX
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.crises import plan_review
from crisisdesk.crises.approval import Gate, check_at_claim
from crisisdesk.crises.mode import any_in_force
from crisisdesk.crises.mode_actions import close_ended
from crisisdesk.crises.mode_effects import raise_all
from crisisdesk.inbox import moves, sla, sla_alerts
from crisisdesk.inbox.models import Conversation
from crisisdesk.inbox.notices import Notices
from crisisdesk.inbox.rule_conditions import from_normalized
from crisisdesk.inbox.rules import RuleEngine
from crisisdesk.inbox.service import answered
from crisisdesk.notify.dispatcher import Dispatcher
from crisisdesk.notify.schemas import Lang
from crisisdesk.pipeline.events import StoredPost
from crisisdesk.reports.follow_up import overdue_improvements
from crisisdesk.runtime_channels import RuntimeChannels
from crisisdesk.updates.mailing import MailSender


class RuntimeInbox(RuntimeChannels):
    """Inbox rules, notices, the outbox and SLAs, on the state a ``Runtime`` holds."""

    dispatcher: Dispatcher | None
    mail_sender: MailSender | None
    rule_engine: RuleEngine | None

    def new_outbox_sender(self, clock: Clock | None = None) -> OutboxSender:
        """The outbox sender of this runtime (not started): it marks conversations answered, reports
        dead credentials, reads reply files from the attachment store, and lets the crisis approval
        gate hold a public reply whose crisis reached the approval level since it was queued."""
        return OutboxSender(lambda: self.engine, self.connectors, clock=clock or SystemClock(),
                            on_sent=self.answered, on_reauthorize=self.credentials_refused,
                            attachments=self.attachment_store(), hold=self.outbox_hold,
                            approval=self.held_for_approval)

    def remind_plans(self, now: datetime | None = None) -> list[str]:
        """This month's reminder about the plans (overdue reviews, people who left), once a month
        (the ticker calls this hourly; the delivery key names the month). Returns the targets."""
        config = self.workspace.config
        at = now or SystemClock().now()
        with Session(self.engine) as session, session.begin():
            found = plan_review.findings(plan_review.plans_of(config),
                                         inactive=plan_review.inactive_emails(session), today=at.date())
            found += overdue_improvements(session, now=at, people=config.people)
            lang: Lang = "de" if config.detection.language == "de" else "en"
            queued = plan_review.remind(
                session, found, now=at, people=config.people, roles=config.roles,
                targets=config.notify.targets, base_url=config.escalation.base_url, lang=lang,
                clock=SystemClock()) if self.deliver else []
        if queued:
            self.notices_queued()
        return queued

    def install_inbox_rules(self) -> None:
        """Let the runner run the inbox rules of the configuration in force, raise the priority of
        conversations under a crisis in crisis mode, and bring the SLA due times of the tickets
        that got messages up to date."""
        config = self.workspace.config
        inbox = config.inbox
        rules = RuleEngine(inbox.rules, connectors=self.connectors, teams=inbox.teams, notices=self.notices(),
                           calendar=inbox.business_hours.calendar(), crisis_types=config.crisis_types,
                           time_zone=config.time_zone, saved_replies=inbox.saved_replies)
        policy = sla.policy_of(inbox)
        self.rule_engine = rules
        clock = self.runner.clock

        def run(conn: Connection, stored: list[StoredPost], threaded: Mapping[int, int]) -> int:
            with Session(bind=conn) as session:
                now = clock.now()
                mode = rules.mode_state(session)  # one small query while no crisis mode is on
                moves.link_arrivals(session, threaded, now)  # a private answer to a move to private
                messages = [from_normalized(s) for s in stored]
                outcomes = rules.apply(session, messages, threaded, now, mode) if rules else []
                if mode.on:
                    raise_all(session, mode, threaded.values(), now=now)
                if policy is not None:
                    sla.refresh_tickets(session, threaded.values(), policy, now)
                session.flush()
            return sum(bool(a.get("ok")) for o in outcomes for a in o.actions
                       if "outbox" in a or "notified" in a)

        def answered(conn: Connection, threaded: Mapping[int, int]) -> None:
            if policy is not None:
                with Session(bind=conn) as session:
                    sla.refresh_tickets(session, threaded.values(), policy, clock.now())

        self.runner.inbox_rules = run
        self.runner.inbox_answered = answered
        self.runner.outbox_queued = self.outbox_queued_or_notices

    def rules_after_change(self, session: Session, conversation: Conversation, fields: Sequence[str],
                           now: datetime) -> bool:
        """Try the ``trigger: change`` rules after a person changed ``conversation`` (inside the
        caller's transaction); True when they queued a reply or a notice: call
        :meth:`outbox_queued_or_notices` after the commit."""
        engine = self.rule_engine
        if engine is None or not engine.tries_changes or not fields:
            return False
        outcomes = engine.changed(session, conversation, fields, now=now)
        return any(a.get("ok") and ("outbox" in a or "notified" in a) for o in outcomes for a in o.actions)

    def notices(self) -> Notices:
        """Where inbox notices (a rule's ``notify``, @mentions) go under the configuration in force."""
        config = self.workspace.config
        return Notices(people=config.people, roles=config.roles, targets=config.notify.targets,
                       base_url=config.escalation.base_url,
                       lang="de" if config.detection.language == "de" else "en", deliver=self.deliver)

    def approval_gate(self) -> Gate:
        """The crisis approval gate under the configuration in force (crises/approval.py)."""
        return Gate.of(self.workspace.config, self.notices())

    def held_for_approval(self, session: Session, item: OutboxItem, now: datetime) -> bool:
        """The sender's second look at a due item: held when a crisis's approval gate covers it now."""
        held = check_at_claim(session, item, self.approval_gate(), now)
        if held:
            self.notices_queued()  # the approvers' notices are queued in the sender's transaction
        return held

    def notices_queued(self) -> None:
        """Wake the notification dispatcher: an inbox notice was just committed."""
        if self.dispatcher is not None:
            self.dispatcher.kick()
        elif self.signals is not None:
            self.signals.send(NOTICES)

    def answered(self, session: Session, item_id: int, now: datetime) -> None:
        """An outbox reply reached the platform: the conversation is answered, its SLA met."""
        answered(session, item_id, now)
        policy = sla.policy_of(self.workspace.config.inbox)
        if policy is not None:
            sla.refresh_answered(session, item_id, policy, now)

    def sla_policy(self) -> sla.SlaPolicy | None:
        """The ticket SLA in force (None: switched off), for the API and web forms."""
        return sla.policy_of(self.workspace.config.inbox)

    def check_sla(self, now: datetime | None = None) -> list[Message]:
        """Report overdue tickets as alerts and resolve those met, in the runner's turn with the
        escalation in force (the ticker calls this; tests pass their own ``now``)."""
        config = self.workspace.config
        at = now or self.runner.clock.now()
        settings = sla_alerts.SlaAlertSettings(lang=config.detection.language, playbook=config.playbook)
        policy = sla.policy_of(config.inbox)
        return self.health_turn(lambda conn, escalator: sla_alerts.check(
            conn, policy, now=at, settings=settings, escalator=escalator))

    def outbox_hold(self, session: Session) -> Hold | None:
        """What the outbox keeps back now: while any crisis mode is in force, the posts we start
        ourselves and what marketing rules queued (None: nothing held)."""
        if not any_in_force(session):
            return None
        return Hold(frozenset(f"rule:{r.name}" for r in self.workspace.config.inbox.rules if r.marketing))

    def end_crisis_modes(self, now: datetime | None = None) -> int:
        """Write down the crisis modes that ended with their crisis (they stopped acting at once);
        the ticker calls this. Wakes the outbox sender when one ended: what it held may leave."""
        with Session(self.engine) as session, session.begin():
            ended = len(close_ended(session, now or self.runner.clock.now()))
        if ended:
            self.outbox_queued()
        return ended

    def outbox_queued(self) -> None:
        """Wake the outbox sender: a reply or moderation action was just queued."""
        if self.outbox_sender is not None:
            self.outbox_sender.kick()
        elif self.signals is not None:
            self.signals.send(OUTBOX)

    def outbox_queued_or_notices(self) -> None:
        """After the rules' transaction committed: their replies and notices leave now."""
        self.outbox_queued()
        self.notices_queued()

    def update_mails_queued(self) -> None:
        """Wake the update mail sender: a publication or a subscription just queued mails."""
        if self.mail_sender is not None:
            self.mail_sender.kick()
        elif self.signals is not None:
            self.signals.send(MAILS)
