"""The health round of ``crisisdesk serve``: check the credentials that are due, judge every
channel, open and resolve its alerts.

One thread, every ``interval`` seconds and when woken (the outbox heard that credentials are dead).
The credential checks call the platforms (seconds each), so they run first and outside the
runner's turn; the alerts then run in the runner's turn (``turn``), in one transaction with the
escalation they start or stop, and their events are published after the commit like any
situation's.

Which credentials are checked: a polling channel uses its credentials on every poll, so only the
others (webhook channels, which would otherwise learn of a dead token when a reply fails in the
middle of a crisis) are asked every ``health.check_hours``; a channel whose credentials the
platform refused is asked again as soon as its configuration changed (new credentials) and at
every start of the service, so that an alert ends when the new ones work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from crisisdesk.bus.base import Message
from crisisdesk.channels import service
from crisisdesk.channels.background import RoundLoop
from crisisdesk.channels.base import Capability, CheckResult, Connector, PlatformError
from crisisdesk.channels.common_config import ChannelConfigBase
from crisisdesk.channels.health import Finding, credentials_dead
from crisisdesk.channels.health_alerts import AlertSettings, sync_alerts
from crisisdesk.channels.health_facts import HealthSubject, checked_at, facts_of, health_of
from crisisdesk.channels.insights import collect, reads_insights, summary
from crisisdesk.channels.own_post_counts import days_due, reads_own_posts, refresh
from crisisdesk.core.clock import Clock
from crisisdesk.db import log_failure
from crisisdesk.escalation.engine import Escalator
from crisisdesk.reports.rollup import record_insight

log = logging.getLogger(__name__)

#: Runs an action on a connection in the runner's turn, with the escalator in force (or None),
#: and publishes what it returns after the commit.
Turn = Callable[[Callable[[Connection, Escalator | None], list[Message]]], list[Message]]


class HealthMonitor(RoundLoop):
    """``run_once()`` for tests and one-shot use; ``start()`` runs it every ``interval`` seconds."""

    thread_name = "channel-health"

    def __init__(self, *, engine: Callable[[], Engine], channels: Callable[[], Sequence[ChannelConfigBase]],
                 connectors: Callable[[], Mapping[str, Connector]], clock: Clock, turn: Turn,
                 settings: Callable[[], AlertSettings], interval: float = 60.0,
                 stored: Callable[[], None] | None = None) -> None:
        super().__init__(interval)
        self._engine = engine
        self._channels = channels
        self._connectors = connectors
        self.clock = clock
        self._turn = turn
        self._settings = settings
        #: Wakes the channel processor for what a check stored (our posts' new counts).
        self._stored = stored
        #: The connector each channel's credentials were last checked with in this process.
        self._checked: dict[str, Connector] = {}

    def _round(self) -> float | None:
        try:
            self.run_once()
        except Exception as exc:  # the database may be away: the next round tries again
            log_failure(self._engine(), exc, log, "channel health: the round failed; trying again")
        return None

    def subjects(self) -> list[HealthSubject]:
        """The enabled channels with their connectors (a switched-off one has no alerts)."""
        connectors = self._connectors()
        return [HealthSubject.of(c, connectors[c.key]) for c in self._channels() if c.key in connectors]

    def run_once(self) -> list[Message]:
        """Check the credentials that are due, then open and resolve alerts; returns the events."""
        subjects = self.subjects()
        self.check_credentials(subjects, self.clock.now())
        now = self.clock.now()
        settings = self._settings()
        alerting = [s for s in subjects if s.config.alerts]

        def alerts(conn: Connection, escalator: Escalator | None) -> list[Message]:
            views = health_of(conn, alerting, now)
            found: dict[str, list[Finding]] = {key: view.findings for key, view in views.items()}
            return sync_alerts(conn, found, settings=settings, now=now, escalator=escalator)

        events = self._turn(alerts)
        for event in events:
            if event.get("event") == "alert.opened":
                log.warning("channel %s: alert %s: %s", event.get("channel"), event["situation"],
                            event.get("summary"))
            elif event.get("event") == "alert.resolved" and event.get("channel"):
                log.info("channel %s: alert %s resolved", event.get("channel"), event["situation"])
        return events

    def check_credentials(self, subjects: Sequence[HealthSubject], now: datetime) -> list[str]:
        """Ask the platform about the credentials of each channel that is due; returns their keys."""
        connectors = self._connectors()
        candidates = [s for s in subjects
                      if Capability.POLL not in s.capabilities and s.config.check_hours > 0]
        if not candidates:
            return []
        engine = self._engine()
        with engine.connect() as conn:
            last = checked_at(conn, [s.key for s in candidates])
            refused = {s.key for s in candidates
                       if credentials_dead(facts_of(conn, s.key, s.capabilities, now))}
        due = []
        for subject in candidates:
            connector = connectors[subject.key]
            at = last.get(subject.key)
            if at is None or now - at >= timedelta(hours=subject.config.check_hours) or (
                    subject.key in refused and self._checked.get(subject.key) is not connector):
                due.append(subject.key)
                self._checked[subject.key] = connector
                check(engine, connector, clock=self.clock, stored=self._stored)
        return due


def check(engine: Engine, connector: Connector, *, clock: Clock,
          stored: Callable[[], None] | None = None) -> CheckResult | PlatformError:
    """Ask the platform whom the credentials belong to and record what it said for channel health:
    a success (which ends an alert for dead credentials), or a refusal (which, when it says the
    credentials are dead, raises one); a success that names the account's followers is kept for
    the analytics (follower growth, the engagement rate's basis), and then the recent insights and
    our recent posts' counts are read (``stored`` wakes the processor for those). Returns the
    answer or the refusal."""
    try:
        result = connector.check()
    except PlatformError as exc:
        with engine.begin() as conn:
            service.record_check(conn, channel=connector.key, ok=False, now=clock.now())
            if exc.reauthorize:
                service.record_credentials(conn, channel=connector.key, error=str(exc), source="check",
                                           now=clock.now())
        log.warning("channel %s: the credentials check was refused: %s", connector.key, exc)
        return exc
    except Exception as exc:  # a connector's bug must not end the round; said once, checked again later
        log.exception("channel %s: the credentials check crashed", connector.key)
        with engine.begin() as conn:
            service.record_check(conn, channel=connector.key, ok=False, now=clock.now())
        return PlatformError(f"internal error: {type(exc).__name__}: {exc}")
    with engine.begin() as conn:
        service.record_check(conn, channel=connector.key, ok=True, now=clock.now())
        followers = str(result.details.get("followers", "")).replace(",", "").strip()
        if followers.isdigit():  # the account's followers as the platform says them: for analytics
            now = clock.now()
            record_insight(conn, connector.key, now.date(), now=now, followers=int(followers))
    if reads_insights(connector):
        result.details["insights"] = _insights(engine, connector, clock)
    if reads_own_posts(connector):
        result.details["own_posts"] = _own_posts(engine, connector, clock, stored)
    return result


def _own_posts(engine: Engine, connector: Connector, clock: Clock, stored: Callable[[], None] | None) -> str:
    """Our recent posts' counts after a good check, in one line."""
    def read() -> str:
        days = days_due(engine, connector.key, clock.now())
        listed = refresh(engine, connector, clock=clock, days=days, stored=stored)
        return f"{listed} post(s) of the last {days} days read"
    return _after_check(connector, "our posts", read)


def _insights(engine: Engine, connector: Connector, clock: Clock) -> str:
    """The recent days' insights after a good check, in one line."""
    return _after_check(connector, "the insights", lambda: summary(collect(engine, connector, clock=clock)))


def _after_check(connector: Connector, what: str, read: Callable[[], str]) -> str:
    """What a read after a good check found, in one line for the check's details. A refusal is
    logged and said, never fatal: the credentials work."""
    try:
        return read()
    except PlatformError as exc:
        log.warning("channel %s: reading %s was refused: %s", connector.key, what, exc)
        return f"refused: {exc}"
    except Exception as exc:  # a connector's bug: said, and asked again at the next check
        log.exception("channel %s: reading %s crashed", connector.key, what)
        return f"internal error: {type(exc).__name__}: {exc}"
