"""Building a ready pipeline for a workspace: database migrated, monitors synced and compiled."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from crisisdesk.analysis.analyzer import AnalysisEnricher, workspace_analyzer
from crisisdesk.bus.base import Bus
from crisisdesk.bus.memory import MemoryBus
from crisisdesk.configuration.service import in_force
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.db import make_engine, migrate
from crisisdesk.detection.engine import RISK_PREFIX, DetectionEngine
from crisisdesk.escalation.engine import Escalator
from crisisdesk.escalation.watch import Watch
from crisisdesk.notify.dispatcher import Dispatcher
from crisisdesk.pipeline.enrich import Enricher
from crisisdesk.pipeline.parallel import PrepareWorkers
from crisisdesk.pipeline.runner import PipelineRunner
from crisisdesk.settings import Settings
from crisisdesk.sources.matcher import MonitorSet
from crisisdesk.sources.service import sync_monitors
from crisisdesk.workspace import Workspace, secret_key

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What a command needs to ingest: engine, bus, runner."""

    workspace: Workspace
    settings: Settings
    engine: Engine
    bus: Bus
    runner: PipelineRunner

    dispatcher: Dispatcher | None = None
    _ticker: threading.Thread | None = None
    _stop_ticker: threading.Event = field(default_factory=threading.Event)

    def start_notifications(self) -> Dispatcher:
        """Send enqueued notifications from a background thread, woken after every alert."""
        if self.dispatcher is None:
            notify = self.workspace.config.notify
            self.dispatcher = Dispatcher(self.engine, notify.targets, smtp=notify.smtp)
            dispatcher = self.dispatcher
            self.runner.listeners.append(lambda _alerts: dispatcher.kick())
            dispatcher.start()
        return self.dispatcher

    def start_ticker(self, interval: float = 5.0) -> None:
        """Let time pass for detection and escalation even when no posts arrive (live service)."""
        if self._ticker is not None:
            return
        stop = self._stop_ticker

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.runner.tick()
                except Exception:  # keep ticking; the next tick retries what failed
                    log.exception("detection tick failed")

        self._ticker = threading.Thread(target=loop, name="crisisdesk-tick", daemon=True)
        self._ticker.start()

    def finish_notifications(self, max_rounds: int = 50) -> None:
        """Send what is still waiting (end of a replay with --notify), retrying as configured."""
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher.drain(max_rounds=max_rounds)

    def close(self) -> None:
        if self._ticker is not None:
            self._stop_ticker.set()
            self._ticker.join(10)
            self._ticker = None
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher.close()
        self.runner.close()
        self.engine.dispose()


def build_watch(workspace: Workspace, settings: Settings, monitor_ids: dict[str, int], *,
                deliver: bool) -> Watch:
    """Detection plus the workspace's escalation policies."""
    config = workspace.config
    detection = DetectionEngine(config=config.detection, playbook=config.playbook, monitor_ids=monitor_ids,
                                risk_in_match_stage=True)
    escalator = None
    if config.escalation.enabled and config.escalation.policies:
        escalator = Escalator(
            config=config.escalation, people=config.people, roles=config.roles,
            targets=config.notify.targets, secret=secret_key(workspace, settings),
            lang=config.detection.language, deliver=deliver,
            playbook=config.playbook,
        )
    return Watch(detection, escalator)


def open_engine(workspace: Workspace) -> Engine:
    engine = make_engine(workspace.database_url)
    migrate(engine)
    return engine


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
    workspace = in_force(engine, workspace)  # a configuration stored in the database wins
    if enricher is None and workspace.config.analysis.enabled:
        enricher = AnalysisEnricher(workspace_analyzer(workspace))
    monitors = [(m.name, m.query) for m in workspace.config.monitors]
    monitor_ids = sync_monitors(engine, monitors, now=SystemClock().now())
    if workspace.config.detection.enabled:
        # High-risk phrases are matched in the same automaton pass as the monitors (see
        # detection.engine.RISK_PREFIX); their names can never clash with a monitor's.
        monitors += [(RISK_PREFIX + term, term) for term in workspace.config.detection.high_risk_terms]
    bus = bus or MemoryBus()
    detector = None
    if workspace.config.detection.enabled:
        detector = build_watch(workspace, settings, monitor_ids, deliver=deliver)
        with engine.connect() as conn:
            detector.detection.load(conn, clock.now())
    prepare_workers = None
    if workers > 0:
        prepare_workers = PrepareWorkers(workers, max_text_chars=settings.max_text_chars, monitors=monitors,
                                         enricher=enricher)
        prepare_workers.start()
    runner = PipelineRunner(
        engine=engine,
        bus=bus,
        monitors=MonitorSet.compile(monitors),
        monitor_ids=monitor_ids,
        clock=clock,
        enricher=enricher,
        max_text_chars=settings.max_text_chars,
        workers=prepare_workers,
        detector=detector,
    )
    return Runtime(workspace, settings, engine, bus, runner)
