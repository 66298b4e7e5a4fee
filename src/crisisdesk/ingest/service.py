"""Building a ready pipeline for a workspace: database migrated, monitors synced and compiled."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from crisisdesk.analysis.analyzer import AnalysisEnricher, build_analyzer
from crisisdesk.bus.base import Bus
from crisisdesk.bus.memory import MemoryBus
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.db import make_engine, migrate
from crisisdesk.pipeline.enrich import Enricher
from crisisdesk.pipeline.parallel import PrepareWorkers
from crisisdesk.pipeline.runner import PipelineRunner
from crisisdesk.settings import Settings
from crisisdesk.sources.matcher import MonitorSet
from crisisdesk.sources.service import sync_monitors
from crisisdesk.workspace import Workspace, model_path


@dataclass
class Runtime:
    """What a command needs to ingest: engine, bus, runner."""

    workspace: Workspace
    settings: Settings
    engine: Engine
    bus: Bus
    runner: PipelineRunner

    def close(self) -> None:
        self.runner.close()
        self.engine.dispose()


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
) -> Runtime:
    """A migrated database, synced monitors and a runner; ``workers`` > 0 prepares batches in
    that many processes (bulk imports; see :mod:`crisisdesk.pipeline.parallel`)."""
    clock = clock or SystemClock()
    if enricher is None and workspace.config.analysis.enabled:
        analysis = workspace.config.analysis
        enricher = AnalysisEnricher(build_analyzer(model_path(workspace), analysis.complaint_types,
                                                   analysis.transformers, root=workspace.root))
    engine = open_engine(workspace)
    monitors = [(m.name, m.query) for m in workspace.config.monitors]
    monitor_ids = sync_monitors(engine, monitors, now=SystemClock().now())
    bus = bus or MemoryBus()
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
    )
    return Runtime(workspace, settings, engine, bus, runner)
