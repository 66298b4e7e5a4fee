"""The channel side of a :class:`crisisdesk.runtime.Runtime`: its connectors, the processing of
stored deliveries, the pollers and channel health, and escalating what channel health finds.

A base class of ``Runtime`` (which holds the state it names); kept apart so that the runtime's
own module stays about building a runtime and keeping its configuration in force.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from crisisdesk.bus.base import Message
from crisisdesk.channels.attachment_store import AttachmentStore, remove_unused
from crisisdesk.channels.base import Connector
from crisisdesk.channels.health_alerts import AlertSettings
from crisisdesk.channels.health_monitor import HealthMonitor
from crisisdesk.channels.lookups import run_due
from crisisdesk.channels.polling import Pollers
from crisisdesk.channels.processor import DeliveryProcessor, ProcessReport, process_pending
from crisisdesk.channels.registry import connector_for
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.channels.service import record_credentials
from crisisdesk.cluster.signals import DELIVERIES, Signals
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.escalation.engine import Escalator
from crisisdesk.escalation.watch import Watch
from crisisdesk.pipeline.events import RawItem
from crisisdesk.pipeline.runner import BatchResult, PipelineRunner
from crisisdesk.runtime_config import build_escalator
from crisisdesk.settings import Settings
from crisisdesk.workspace import Workspace, WorkspaceConfig


class RuntimeChannels:
    """Channels, their processing and health, on the state a ``Runtime`` holds."""

    workspace: Workspace
    settings: Settings
    engine: Engine
    runner: PipelineRunner
    deliver: bool
    channel_processor: DeliveryProcessor | None
    pollers: Pollers | None
    outbox_sender: OutboxSender | None
    health: HealthMonitor | None
    signals: Signals | None
    hand_off: Callable[[list[RawItem]], BatchResult] | None
    _connectors: tuple[WorkspaceConfig, dict[str, Connector]] | None
    _own_escalator: tuple[WorkspaceConfig, Escalator | None] | None

    def new_outbox_sender(self, clock: Clock | None = None) -> OutboxSender:
        raise NotImplementedError  # the inbox part's (runtime_inbox.py)

    def connectors(self) -> dict[str, Connector]:
        """The enabled channels of the configuration in force, by key (rebuilt when it changes)."""
        config = self.workspace.config
        if self._connectors is None or self._connectors[0] is not config:
            self._connectors = (config, {c.key: connector_for(c) for c in config.channels if c.enabled})
        return self._connectors[1]

    def process_deliveries(self) -> ProcessReport:
        """Turn stored channel deliveries into posts (see :mod:`crisisdesk.channels.processor`),
        then fetch the items deliveries only named (:mod:`crisisdesk.channels.lookups`): their
        answers are the next round's deliveries."""
        connectors, clock = self.connectors(), SystemClock()
        report = process_pending(self.engine, connectors, self.hand_off or self.runner.handle, clock=clock)
        report.looked_up = run_due(self.engine, connectors, now=clock.now())
        return report

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

    def delivery_stored(self) -> None:
        if self.channel_processor is not None:
            self.channel_processor.notify()
        elif self.signals is not None:
            self.signals.send(DELIVERIES)
