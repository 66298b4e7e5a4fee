"""Building a ready pipeline for a workspace, and keeping it in step with the stored configuration.

At start: the database migrated, the configuration in force read (a stored one wins over the
file), monitors synced and compiled, detection state rebuilt from the stored rollups. A saved
configuration goes through the same steps while the service runs (:meth:`Runtime.apply_config`,
:meth:`Runtime.reload_if_changed`), so a start and a reload cannot disagree about what a
configuration means. See docs/architecture.md, "Changing the configuration while running".
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from crisisdesk import runtime_ticker
from crisisdesk.bus.base import Bus, Message
from crisisdesk.bus.memory import MemoryBus
from crisisdesk.channels.attachment_store import AttachmentStore, remove_unused
from crisisdesk.channels.base import Connector
from crisisdesk.channels.health_alerts import AlertSettings
from crisisdesk.channels.health_monitor import HealthMonitor
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.outbox import Hold
from crisisdesk.channels.polling import Pollers
from crisisdesk.channels.processor import DeliveryProcessor, ProcessReport, process_pending
from crisisdesk.channels.registry import connector_for
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.channels.service import record_credentials
from crisisdesk.cluster.signals import DELIVERIES, MAILS, NOTICES, OUTBOX, Signals
from crisisdesk.configuration.service import STORED, latest
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.core.errors import ConfigError
from crisisdesk.crises import plan_review
from crisisdesk.crises.approval import Gate, check_at_claim
from crisisdesk.crises.mode import any_in_force
from crisisdesk.crises.mode_actions import close_ended
from crisisdesk.crises.mode_effects import raise_all
from crisisdesk.crises.tracker import CrisisTracker
from crisisdesk.escalation.engine import Escalator
from crisisdesk.escalation.watch import Watch
from crisisdesk.inbox import sla, sla_alerts
from crisisdesk.inbox.models import Conversation
from crisisdesk.inbox.notices import Notices
from crisisdesk.inbox.presence import Board, PresenceBoard
from crisisdesk.inbox.rule_conditions import from_normalized
from crisisdesk.inbox.rules import RuleEngine
from crisisdesk.inbox.service import answered
from crisisdesk.notify.dispatcher import Dispatcher
from crisisdesk.notify.schemas import Lang
from crisisdesk.pipeline.enrich import Enricher, NoEnrichment
from crisisdesk.pipeline.events import RawItem, StoredPost
from crisisdesk.pipeline.parallel import PrepareWorkers
from crisisdesk.pipeline.runner import BatchResult, PipelineRunner
from crisisdesk.reports.follow_up import overdue_improvements
from crisisdesk.runtime_config import (
    analysis_enricher,
    build_escalator,
    compile_config,
    open_engine,
)
from crisisdesk.runtime_updates import sync_lists as sync_email_lists
from crisisdesk.settings import Settings
from crisisdesk.updates.mailing import MailSender
from crisisdesk.workspace import Workspace, WorkspaceConfig, parse_config

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What a command needs to ingest: engine, bus, runner; and the configuration they run with."""

    workspace: Workspace
    settings: Settings
    engine: Engine
    bus: Bus
    runner: PipelineRunner
    #: Escalation steps enqueue notifications (live service) or are only logged (imports).
    deliver: bool = False
    #: The stored configuration version in force here; None while the workspace file is.
    version: int | None = None
    #: The analysis enricher was built from the configuration (not handed in), so a change of the
    #: ``analysis`` section rebuilds it.
    own_enricher: bool = True

    dispatcher: Dispatcher | None = None
    channel_processor: DeliveryProcessor | None = None
    pollers: Pollers | None = None
    outbox_sender: OutboxSender | None = None
    #: Sends the e-mail lists' update mails and the subscriptions' confirmations (updates/mailing.py).
    mail_sender: MailSender | None = None
    health: HealthMonitor | None = None
    #: Who has which conversation open (collision detection), in this process.
    presence: Board = field(default_factory=PresenceBoard)
    #: The inbox rules in force (installed with the configuration; ``trigger: change`` rules read it).
    rule_engine: RuleEngine | None = None
    #: The distributed mode's wake-ups: what this process does not run itself, it signals to the
    #: worker that does (None: the embedded mode, where every sender runs here).
    signals: Signals | None = None
    #: Where the API hands posts: None runs them through this process's pipeline; a front end of the
    #: distributed mode validates them and queues them for the workers (cluster/frontend.py).
    queue: Callable[[list[RawItem]], BatchResult] | None = None
    #: Where the delivery processor hands the posts of webhooks and polls: None runs them through
    #: this process's pipeline; the lease holder of the distributed mode hands them to every
    #: worker's prepare step and waits until they are stored (cluster/handoff.py).
    hand_off: Callable[[list[RawItem]], BatchResult] | None = None
    _connectors: tuple[WorkspaceConfig, dict[str, Connector]] | None = None
    #: Escalates channel alerts when detection, which has one, is switched off.
    _own_escalator: tuple[WorkspaceConfig, Escalator | None] | None = None
    _ticker: threading.Thread | None = None
    _stop_ticker: threading.Event = field(default_factory=threading.Event)
    _reload_lock: threading.Lock = field(default_factory=threading.Lock)
    _passed_over: int | None = None  # a version not applied (broken, or an import): said once

    def start_notifications(self, *, recover: bool = True) -> Dispatcher:
        """Send enqueued notifications from a background thread, woken after every alert.
        ``recover``: sends interrupted by this process's own last death are due again at once
        (False where other processes may be sending: their claims expire instead)."""
        if self.dispatcher is None:
            notify = self.workspace.config.notify
            self.dispatcher = Dispatcher(self.engine, notify.targets, smtp=notify.smtp,
                                         recover_on_start=recover)
            dispatcher = self.dispatcher
            self.runner.listeners.append(lambda _alerts: dispatcher.kick())
            dispatcher.start()
        if self.mail_sender is None:
            self.mail_sender = MailSender(lambda: self.engine, lambda: self.workspace.config.notify.smtp,
                                          clock=SystemClock())
            self.mail_sender.start()
        return self.dispatcher

    def update_mails_queued(self) -> None:
        """Wake the update mail sender: a publication or a subscription just queued mails."""
        if self.mail_sender is not None:
            self.mail_sender.kick()
        elif self.signals is not None:
            self.signals.send(MAILS)

    def connectors(self) -> dict[str, Connector]:
        """The enabled channels of the configuration in force, by key (rebuilt when it changes)."""
        config = self.workspace.config
        if self._connectors is None or self._connectors[0] is not config:
            self._connectors = (config, {c.key: connector_for(c) for c in config.channels if c.enabled})
        return self._connectors[1]

    def process_deliveries(self) -> ProcessReport:
        """Turn stored channel deliveries into posts (see :mod:`crisisdesk.channels.processor`)."""
        return process_pending(self.engine, self.connectors(), self.hand_off or self.runner.handle,
                               clock=SystemClock())

    def start_channels(self) -> DeliveryProcessor:
        """Process stored deliveries in a background thread, woken as each one is stored, poll
        the polling channels (one thread each; a changed configuration restarts what changed),
        send what the outbox holds, and watch the channels' health."""
        if self.channel_processor is None:
            self.channel_processor = DeliveryProcessor(self.process_deliveries)
            self.channel_processor.start()
        if self.pollers is None:
            self.pollers = Pollers(self.connectors, engine=lambda: self.engine, clock=SystemClock(),
                                   stored=self.delivery_stored)
        self.pollers.sync()
        if self.outbox_sender is None:
            self.outbox_sender = self.new_outbox_sender()
            self.outbox_sender.start()
        if self.health is None:
            self.health = self.health_monitor()
            self.health.start()
        return self.channel_processor

    def new_outbox_sender(self, clock: Clock | None = None) -> OutboxSender:
        """The outbox sender of this runtime (not started): it marks conversations answered, reports
        dead credentials, reads reply files from the attachment store, and lets the crisis approval
        gate hold a public reply whose crisis reached the approval level since it was queued."""
        return OutboxSender(lambda: self.engine, self.connectors, clock=clock or SystemClock(),
                            on_sent=self.answered, on_reauthorize=self.credentials_refused,
                            attachments=self.attachment_store(), hold=self.outbox_hold,
                            approval=self.held_for_approval)

    def health_monitor(self, interval: float = 60.0) -> HealthMonitor:
        """Channel health on this runtime's configuration, clock and escalation (not started)."""
        return HealthMonitor(engine=lambda: self.engine, channels=lambda: self.workspace.config.channels,
                             connectors=self.connectors, clock=self.runner.clock, turn=self.health_turn,
                             settings=self.alert_settings, interval=interval, stored=self.delivery_stored)

    def attachment_store(self) -> AttachmentStore:
        """Where uploaded reply attachments are kept (CRISISDESK_ATTACHMENTS_DIR, else beside the
        workspace file)."""
        return AttachmentStore(self.settings.attachments_dir or self.workspace.root / "attachments")

    def remove_unused_attachments(self, now: datetime | None = None) -> int:
        """Uploads that no reply took within a day are removed (the ticker calls this)."""
        with Session(self.engine) as session, session.begin():
            return remove_unused(session, self.attachment_store(), now=now or self.runner.clock.now())

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

    def alert_settings(self) -> AlertSettings:
        config = self.workspace.config
        return AlertSettings({c.key: c.health.severity for c in config.channels},
                             lang=config.detection.language, playbook=config.playbook)

    def credentials_refused(self, channel: str, message: str) -> None:
        """The outbox heard from the platform that the channel's credentials are dead (the time is
        the runner's, which channel health judges by)."""
        with self.engine.begin() as conn:
            record_credentials(conn, channel=channel, error=message, source="send",
                               now=self.runner.clock.now())
        if self.health is not None:
            self.health.kick()

    def health_turn(self, action: Callable[[Connection, Escalator | None], list[Message]]) -> list[Message]:
        """Run a channel-health change in the runner's turn, with the escalator in force: the
        detection's, or, with detection switched off, one of the configuration's own."""
        return self.runner.with_detector(lambda conn, detector: action(conn, self._escalator(detector)))

    def _escalator(self, detector: object) -> Escalator | None:
        if isinstance(detector, Watch) and detector.escalator is not None:
            return detector.escalator
        config = self.workspace.config
        if self._own_escalator is None or self._own_escalator[0] is not config:
            own = build_escalator(self.workspace, self.settings, deliver=self.deliver)
            self._own_escalator = (config, own)
        return self._own_escalator[1]

    def install_inbox_rules(self) -> None:
        """Let the runner run the inbox rules of the configuration in force, raise the priority of
        conversations under a crisis in crisis mode, and bring the SLA due times of the tickets
        that got messages up to date."""
        config = self.workspace.config
        inbox = config.inbox
        rules = RuleEngine(inbox.rules, connectors=self.connectors, teams=inbox.teams, notices=self.notices(),
                           calendar=inbox.business_hours.calendar(), crisis_types=config.crisis_types,
                           time_zone=config.time_zone)
        policy = sla.policy_of(inbox)
        self.rule_engine = rules
        clock = self.runner.clock

        def run(conn: Connection, stored: list[StoredPost], threaded: Mapping[int, int]) -> int:
            with Session(bind=conn) as session:
                now = clock.now()
                mode = rules.mode_state(session)  # one small query while no crisis mode is on
                messages = [from_normalized(s) for s in stored]
                outcomes = rules.apply(session, messages, threaded, now, mode) if rules else []
                if mode.on:
                    raise_all(session, mode, threaded.values(), now=now)
                if policy is not None:
                    sla.refresh_tickets(session, threaded.values(), policy, now)
                session.flush()
            return sum(bool(a.get("ok")) for o in outcomes for a in o.actions
                       if "outbox" in a or "notified" in a)

        self.runner.inbox_rules = run
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

    def delivery_stored(self) -> None:
        if self.channel_processor is not None:
            self.channel_processor.notify()
        elif self.signals is not None:
            self.signals.send(DELIVERIES)

    def start_ticker(self, interval: float = 5.0, *, front_end: bool = False) -> None:
        """Let time pass for detection and escalation even when no posts arrive (live service),
        and pick up a configuration saved by any process within ``interval`` seconds (all a front
        end of the distributed mode does)."""
        if self._ticker is not None:
            return
        self._ticker = runtime_ticker.start(self, self._stop_ticker, interval, front_end=front_end)

    def reload_if_changed(self) -> bool:
        """Apply the newest stored configuration if it is not the one in force here (one small
        query when nothing changed). A stored text that does not parse (it was validated when it
        was saved, so only a hand-edited row can) is logged once and the current one kept."""
        with self.engine.connect() as conn:
            stored = latest(conn)
        if stored is None or stored.version == self.version or stored.version == self._passed_over:
            return False
        try:
            config = parse_config(stored.text, path=STORED)
        except ConfigError as exc:
            self._passed_over = stored.version
            log.error("configuration version %d cannot be applied, keeping %s: %s", stored.version,
                      _describe(self.version), exc)
            return False
        try:
            return self.apply_config(config, stored.version)
        except Exception:  # e.g. the database went away mid-way: the runner kept the old one
            log.exception("configuration version %d could not be applied, keeping %s; the next tick "
                          "tries again", stored.version, _describe(self.version))
            return False

    def apply_config(self, config: WorkspaceConfig, version: int | None) -> bool:
        """Make ``config`` (stored as ``version``) the one in force in this process, no restart.

        The monitors table is synced (new monitors inserted, removed ones inactive), the monitors
        and high-risk phrases recompiled, detection and escalation rebuilt with their state read
        from the database as at a start, the dispatcher given the new targets. Batches, ticks and
        people's changes wait for the swap, so each runs wholly with the old or the new
        configuration. False: nothing done (this or a newer version is in force already, or this
        is a bulk import with prepare workers, which keeps the configuration it started with).
        """
        with self._reload_lock:
            if version is not None and self.version is not None and version <= self.version:
                return False
            if self.runner.workers is not None:
                if self._passed_over != version:
                    self._passed_over = version
                    log.warning("configuration version %s is not applied to this import: an import "
                                "keeps the configuration it started with", version)
                return False
            workspace = dataclasses.replace(self.workspace, config=config)
            enricher: Enricher | None = None
            if self.own_enricher and config.analysis != self.workspace.config.analysis:
                enricher = analysis_enricher(workspace) or NoEnrichment()  # loads models: not in the turn
            compiled = compile_config(self.engine, workspace, self.settings, deliver=self.deliver)
            kept = compiled.keep_detection(self.runner.detector, self.workspace.config, config)
            with self.runner.turn():
                if kept is None:
                    compiled.load(self.engine, self.runner.clock.now())
                else:
                    compiled = kept
                self.runner.reconfigure(monitors=compiled.monitors, monitor_ids=compiled.monitor_ids,
                                        detector=compiled.detector, enricher=enricher)
                self.workspace = workspace
                self.install_inbox_rules()
            if self.dispatcher is not None:
                self.dispatcher.reconfigure(config.notify.targets, smtp=config.notify.smtp)
            sync_email_lists(self)
            if self.pollers is not None:
                self.pollers.sync()
            if self.health is not None:
                self.health.kick()  # new credentials are checked, changed thresholds applied, now
            self.version = version
            log.info("configuration %s applied (monitors: %s)", _describe(version),
                     ", ".join(m.name for m in config.monitors) or "none")
            return True

    def finish_notifications(self, max_rounds: int = 50) -> None:
        """Send what is still waiting (end of a replay with --notify), retrying as configured."""
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher.drain(max_rounds=max_rounds)

    def close(self) -> None:
        if self.pollers is not None:
            self.pollers.stop()
            self.pollers = None
        if self.channel_processor is not None:
            self.channel_processor.stop()
            self.channel_processor = None
        if self.outbox_sender is not None:
            self.outbox_sender.stop()
            self.outbox_sender = None
        if self.health is not None:
            self.health.stop()
            self.health = None
        if self._ticker is not None:
            self._stop_ticker.set()
            self._ticker.join(10)
            self._ticker = None
        if self.mail_sender is not None:
            self.mail_sender.stop()
            self.mail_sender = None
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher.close()
        self.runner.close()
        self.engine.dispose()


def _describe(version: int | None) -> str:
    return "the workspace file" if version is None else f"version {version}"


def build_runtime(
    workspace: Workspace,
    settings: Settings,
    *,
    clock: Clock | None = None,
    bus: Bus | None = None,
    enricher: Enricher | None = None,
    workers: int = 0,
    deliver: bool = False,
) -> Runtime:
    """A migrated database, synced monitors and a runner; ``workers`` > 0 prepares batches in
    that many processes (bulk imports; see :mod:`crisisdesk.pipeline.parallel`). ``deliver``
    enqueues the escalation's notifications (live service, ``replay --notify``); without it the
    steps are logged but nobody is contacted (imports of history)."""
    clock = clock or SystemClock()
    engine = open_engine(workspace)
    with engine.connect() as conn:
        stored = latest(conn)
    if stored is not None:  # a configuration stored in the database wins over the file
        workspace = dataclasses.replace(workspace, config=parse_config(stored.text, path=STORED))
    own_enricher = enricher is None
    if enricher is None:
        enricher = analysis_enricher(workspace)
    compiled = compile_config(engine, workspace, settings, deliver=deliver)
    compiled.load(engine, clock.now())
    bus = bus or MemoryBus()
    prepare_workers = None
    if workers > 0:
        prepare_workers = PrepareWorkers(workers, max_text_chars=settings.max_text_chars,
                                         monitors=compiled.patterns, enricher=enricher)
        prepare_workers.start()
    runner = PipelineRunner(
        engine=engine,
        bus=bus,
        monitors=compiled.monitors,
        monitor_ids=compiled.monitor_ids,
        clock=clock,
        enricher=enricher,
        max_text_chars=settings.max_text_chars,
        workers=prepare_workers,
        detector=compiled.detector,
    )
    runner.crises = CrisisTracker(lang=workspace.config.detection.language,
                                   types=workspace.config.crisis_types,
                                   risk_terms=workspace.config.detection.high_risk_terms).track
    runtime = Runtime(workspace, settings, engine, bus, runner, deliver=deliver,
                      version=stored.version if stored is not None else None, own_enricher=own_enricher)
    runtime.install_inbox_rules()
    sync_email_lists(runtime)
    return runtime
