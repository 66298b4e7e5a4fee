"""Building a ready pipeline for a workspace, and keeping it in step with the stored configuration
(what the channel and inbox parts do is in runtime_channels.py and runtime_inbox.py).

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
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from crisisdesk import runtime_ticker
from crisisdesk.bus.base import Bus
from crisisdesk.bus.memory import MemoryBus
from crisisdesk.channels.base import Connector
from crisisdesk.channels.health_monitor import HealthMonitor
from crisisdesk.channels.polling import Pollers
from crisisdesk.channels.processor import DeliveryProcessor
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.cluster.signals import Signals
from crisisdesk.configuration.service import STORED, latest
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.core.errors import ConfigError
from crisisdesk.crises.tracker import CrisisTracker
from crisisdesk.escalation.engine import Escalator
from crisisdesk.inbox import live as inbox_live
from crisisdesk.inbox.presence import Board, PresenceBoard
from crisisdesk.inbox.rules import RuleEngine
from crisisdesk.notify.dispatcher import Dispatcher
from crisisdesk.pipeline.enrich import Enricher, NoEnrichment
from crisisdesk.pipeline.events import RawItem
from crisisdesk.pipeline.parallel import PrepareWorkers
from crisisdesk.pipeline.runner import BatchResult, PipelineRunner
from crisisdesk.runtime_config import (
    analysis_enricher,
    compile_config,
    open_engine,
)
from crisisdesk.runtime_inbox import RuntimeInbox
from crisisdesk.runtime_updates import sync_lists as sync_email_lists
from crisisdesk.settings import Settings
from crisisdesk.updates.mailing import MailSender
from crisisdesk.workspace import Workspace, WorkspaceConfig, parse_config

log = logging.getLogger(__name__)


@dataclass
class Runtime(RuntimeInbox):
    """What a command needs to ingest: engine, bus, runner; and the configuration they run with.

    Its channel part (connectors, deliveries, health) is :class:`RuntimeChannels`, its inbox and
    crisis part (rules, notices, the outbox, SLAs) :class:`RuntimeInbox`."""

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
        inbox_live.unwatch(self.engine)
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
    inbox_live.watch(engine, runner.announce_inbox)  # colleagues' changes reach open pages
    sync_email_lists(runtime)
    return runtime
