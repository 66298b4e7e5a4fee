"""What a runtime builds from a configuration: the monitors matcher and detection with its
escalation (:func:`compile_config`, the one path of start and live reload), the analysis, and the
migrated database. Kept apart from :mod:`crisisdesk.runtime`, which runs what is built here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from crisisdesk.analysis.analyzer import AnalysisEnricher, workspace_analyzer
from crisisdesk.core.clock import SystemClock
from crisisdesk.db import make_engine, migrate
from crisisdesk.detection.engine import RISK_PREFIX, DetectionEngine
from crisisdesk.escalation.engine import Escalator
from crisisdesk.escalation.watch import Watch
from crisisdesk.pipeline.enrich import Enricher
from crisisdesk.settings import Settings
from crisisdesk.sources.matcher import MonitorSet
from crisisdesk.sources.service import sync_monitors
from crisisdesk.workspace import Workspace, WorkspaceConfig, secret_key


@dataclass(frozen=True)
class Compiled:
    """What the runner takes from a configuration."""

    #: The monitors and the high-risk phrases (``RISK_PREFIX`` + phrase), as the match stage sees
    #: them: both are found in one automaton pass (see detection.engine.RISK_PREFIX).
    patterns: list[tuple[str, str]]
    monitors: MonitorSet
    monitor_ids: dict[str, int]
    detector: Watch | None

    def keep_detection(self, running: object, old: WorkspaceConfig, new: WorkspaceConfig) -> Compiled | None:
        """This compilation with the running detection engine kept, when the change leaves
        detection as it was (only targets, people, roles or policies changed): no state to rebuild,
        so a change of who is notified never pauses ingestion. None: detection must be rebuilt."""
        if not (isinstance(running, Watch) and isinstance(self.detector, Watch)
                and old.monitors == new.monitors and old.detection == new.detection
                and old.playbook == new.playbook):
            return None
        return dataclasses.replace(self, detector=Watch(running.detection, self.detector.escalator))

    def load(self, engine: Engine, now: datetime) -> None:
        """Rebuild the detector's state from the stored rollups and situations, as at a start.
        Runs in the runner's turn when the runner is live, so no batch commits in between."""
        if self.detector is not None:
            with engine.connect() as conn:
                self.detector.detection.load(conn, now)


def compile_config(engine: Engine, workspace: Workspace, settings: Settings, *, deliver: bool) -> Compiled:
    """Sync the monitors table with the configuration and build what the runner uses; the
    detector comes without state (:meth:`Compiled.load`). The one path of start and reload."""
    config = workspace.config
    patterns = [(m.name, m.query) for m in config.monitors]
    monitor_ids = sync_monitors(engine, patterns, now=SystemClock().now())
    detector = None
    if config.detection.enabled:
        # High-risk phrases' names can never clash with a monitor's (RISK_PREFIX).
        patterns += [(RISK_PREFIX + term, term) for term in config.detection.high_risk_terms]
        detector = build_watch(workspace, settings, monitor_ids, deliver=deliver)
    return Compiled(patterns, MonitorSet.compile(patterns), monitor_ids, detector)


def analysis_enricher(workspace: Workspace) -> Enricher | None:
    """The analysis the configuration asks for; None when it is switched off."""
    return AnalysisEnricher(workspace_analyzer(workspace)) if workspace.config.analysis.enabled else None


def build_watch(workspace: Workspace, settings: Settings, monitor_ids: dict[str, int], *,
                deliver: bool) -> Watch:
    """Detection plus the workspace's escalation policies."""
    config = workspace.config
    detection = DetectionEngine(config=config.detection, playbook=config.playbook, monitor_ids=monitor_ids,
                                risk_in_match_stage=True)
    return Watch(detection, build_escalator(workspace, settings, deliver=deliver))


def build_escalator(workspace: Workspace, settings: Settings, *, deliver: bool) -> Escalator | None:
    """The workspace's escalation policies; None when switched off or there are none."""
    config = workspace.config
    if not (config.escalation.enabled and config.escalation.policies):
        return None
    return Escalator(
        config=config.escalation, people=config.people, roles=config.roles,
        targets=config.notify.targets, secret=secret_key(workspace, settings),
        lang=config.detection.language, deliver=deliver,
        playbook=config.playbook, types=config.crisis_types,
    )


def open_engine(workspace: Workspace) -> Engine:
    engine = make_engine(workspace.database_url)
    migrate(engine)
    return engine
