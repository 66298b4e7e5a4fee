"""Channel health: is each channel still bringing what it should, judged from what is stored.

Pure functions over :class:`ChannelFacts` (read by :mod:`.health_facts`), so every rule is a
table-driven test and the page, ``channels list`` and the alerts agree. Four problems:

* **credentials** — the platform said the credentials are dead (Meta 190, Telegram 401, Mastodon
  401 …) on a poll, a send or a check, and nothing worked with them since;
* **failing** — a poller's last ``poll_failures`` polls failed in a row (not counting refusals for
  asking too often, which are the next problem);
* **rate_limited** — the platform has refused every poll for asking too often for longer than
  ``rate_limited_minutes``;
* **silent** — a webhook channel that is busy (``silent_min_per_hour`` deliveries an hour on
  average over the last 24 hours) got nothing for ``max(silent_minutes, silent_factor × its usual
  gap)``, although the same hours a day earlier brought at least ``silent_yesterday`` deliveries
  (a channel that is quiet every night is not silent at night).

Dead credentials explain failing and rate-limited polls, so they stand alone; silence may have a
cause of its own (the platform dropped our webhook subscription) and is judged besides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: The beginning of time, for a problem that has lasted as long as anything is known.
EVER = datetime(1970, 1, 1, tzinfo=UTC)
#: How far back "busy" looks.
DAY = timedelta(hours=24)


class Problem(StrEnum):
    """What can be wrong with a channel; each open one is one alert (a situation of that cause)."""

    CREDENTIALS = "credentials"
    FAILING = "failing"
    RATE_LIMITED = "rate_limited"
    SILENT = "silent"


class State(StrEnum):
    """One word for a channel, for the page and ``channels list``: the worst problem, else
    ``receiving`` (also a quiet channel that is usually quiet), or ``disabled``."""

    RECEIVING = "receiving"
    SILENT = "silent"
    RATE_LIMITED = "rate_limited"
    FAILING = "failing"
    CREDENTIALS_DEAD = "credentials_dead"
    DISABLED = "disabled"


_STATE_OF: dict[Problem, State] = {
    Problem.CREDENTIALS: State.CREDENTIALS_DEAD, Problem.FAILING: State.FAILING,
    Problem.RATE_LIMITED: State.RATE_LIMITED, Problem.SILENT: State.SILENT,
}
_WORST_FIRST = (Problem.CREDENTIALS, Problem.FAILING, Problem.RATE_LIMITED, Problem.SILENT)


class HealthConfig(BaseModel):
    """A channel's ``health:`` block; every value has a default, so most channels need none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alerts: bool = Field(default=True, description="Open alerts for this channel's problems (the page "
                         "shows its state either way).")
    severity: int = Field(default=3, ge=1, le=4, description="Severity of its alerts: picks the "
                          "escalation policy.")
    silent_min_per_hour: float = Field(default=2.0, gt=0, description="A webhook channel counts as busy "
                                       "with at least this many deliveries an hour over the last 24 h.")
    silent_factor: float = Field(default=4.0, ge=1, description="Silent after this many times its "
                                 "usual gap between deliveries …")
    silent_minutes: int = Field(default=30, ge=5, le=24 * 60, description="… and never before this "
                                "many minutes.")
    silent_yesterday: int = Field(default=3, ge=0, description="Deliveries the same hours a day earlier "
                                  "must have brought (0: do not compare with yesterday).")
    poll_failures: int = Field(default=3, ge=1, le=1000, description="Polls failed in a row.")
    rate_limited_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60, description="Minutes the "
                                      "platform may hold a poller back for asking too often.")
    check_hours: float = Field(default=6.0, ge=0, le=24 * 30, description="Hours between checks of "
                               "a webhook channel's credentials (pollers use them on every poll); "
                               "0: never.")


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    """What is stored about one channel at ``now``; times are aware UTC."""

    key: str
    polls: bool = False  # it fetches (Capability.POLL)
    webhook: bool = False  # it receives deliveries (Capability.WEBHOOK)
    #: Deliveries received in the last 24 hours, and the newest one's time.
    deliveries_24h: int = 0
    last_delivery: datetime | None = None
    #: Deliveries in the span a day before the current quiet one: from 24 h before the newest
    #: delivery to 24 h before now.
    same_time_yesterday: int = 0
    #: Polls (channel_cursors).
    failures: int = 0
    last_ok_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    limited_since: datetime | None = None
    #: The platform's word that the credentials are dead, and the last success of a check or send.
    credentials_error: str | None = None
    credentials_error_at: datetime | None = None
    credentials_source: str | None = None
    checked_ok_at: datetime | None = None
    last_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem of one channel: ``since`` is the last moment it was known to be fine (an alert
    dismissed by a person after that stays dismissed while this problem lasts); ``detail`` holds
    the numbers the texts give."""

    channel: str
    problem: Problem
    since: datetime
    detail: Mapping[str, Any] = field(default_factory=dict)


def credentials_dead(facts: ChannelFacts) -> bool:
    """The platform's word stands: no poll, send or check worked after it."""
    at = facts.credentials_error_at
    if at is None:
        return False
    return not any(ok is not None and ok > at for ok in (facts.last_ok_at, facts.last_sent_at,
                                                         facts.checked_ok_at))


def evaluate(facts: ChannelFacts, config: HealthConfig, now: datetime) -> list[Finding]:
    """The channel's problems at ``now``, worst first."""
    if credentials_dead(facts):
        worked = [ok for ok in (facts.last_ok_at, facts.last_sent_at, facts.checked_ok_at) if ok is not None]
        found = [Finding(facts.key, Problem.CREDENTIALS, max(worked, default=EVER),
                         {"error": facts.credentials_error or "", "source": facts.credentials_source or ""})]
    else:
        found = _polling(facts, config, now)
    silent = _silence(facts, config, now)
    return found + ([silent] if silent is not None else [])


def _polling(facts: ChannelFacts, config: HealthConfig, now: datetime) -> list[Finding]:
    if not facts.polls or facts.failures == 0:
        return []
    since = facts.last_ok_at or EVER
    if facts.limited_since is not None:
        minutes = (now - facts.limited_since).total_seconds() / 60
        if minutes < config.rate_limited_minutes:
            return []
        return [Finding(facts.key, Problem.RATE_LIMITED, since,
                        {"minutes": int(minutes), "error": facts.last_error or ""})]
    if facts.failures < config.poll_failures:
        return []
    return [Finding(facts.key, Problem.FAILING, since,
                    {"failures": facts.failures, "error": facts.last_error or ""})]


def usual_gap(facts: ChannelFacts) -> timedelta | None:
    """The mean time between deliveries over the last 24 hours (None: nothing came)."""
    if facts.deliveries_24h == 0:
        return None
    return DAY / facts.deliveries_24h


def _silence(facts: ChannelFacts, config: HealthConfig, now: datetime) -> Finding | None:
    if not facts.webhook or facts.polls or facts.last_delivery is None:
        return None
    per_hour = facts.deliveries_24h / 24
    gap = usual_gap(facts)
    if gap is None or per_hour < config.silent_min_per_hour:
        return None  # usually quiet: quiet now is no news
    quiet = now - facts.last_delivery
    limit = max(timedelta(minutes=config.silent_minutes), config.silent_factor * gap)
    if quiet < limit or facts.same_time_yesterday < config.silent_yesterday:
        return None
    return Finding(facts.key, Problem.SILENT, facts.last_delivery,
                   {"minutes": int(quiet.total_seconds() // 60), "per_hour": round(per_hour, 1),
                    "yesterday": facts.same_time_yesterday})


def state_of(findings: Sequence[Finding], *, enabled: bool = True) -> State:
    if not enabled:
        return State.DISABLED
    present = {f.problem for f in findings}
    return next((_STATE_OF[p] for p in _WORST_FIRST if p in present), State.RECEIVING)


# -- texts --------------------------------------------------------------------------------------------

_TEXTS: dict[Problem, dict[Literal["de", "en"], str]] = {
    Problem.CREDENTIALS: {
        "de": "Kanal {channel}: die Zugangsdaten sind ungültig ({source}): {error}. Neue Zugangsdaten "
              "eintragen; bis dahin kommt nichts an und nichts geht hinaus.",
        "en": "Channel {channel}: the credentials are dead ({source}): {error}. Enter new credentials; "
              "until then nothing arrives and nothing goes out.",
    },
    Problem.FAILING: {
        "de": "Kanal {channel}: {failures} Abrufe in Folge fehlgeschlagen, zuletzt: {error}",
        "en": "Channel {channel}: {failures} polls failed in a row, the last one: {error}",
    },
    Problem.RATE_LIMITED: {
        "de": "Kanal {channel}: die Plattform bremst die Abrufe seit {minutes} Minuten (zu viele "
              "Anfragen): {error}",
        "en": "Channel {channel}: the platform has held the polls back for {minutes} minutes (too many "
              "requests): {error}",
    },
    Problem.SILENT: {
        "de": "Kanal {channel}: seit {minutes} Minuten keine Zustellung, sonst {per_hour} pro Stunde "
              "(gestern um diese Zeit {yesterday}). Webhook-Abo und Plattform prüfen.",
        "en": "Channel {channel}: no delivery for {minutes} minutes, usually {per_hour} an hour "
              "({yesterday} at this time yesterday). Check the webhook subscription and the platform.",
    },
}
_SOURCES: dict[str, dict[Literal["de", "en"], str]] = {
    "poll": {"de": "beim Abruf", "en": "when polling"},
    "send": {"de": "beim Senden", "en": "when sending"},
    "check": {"de": "bei der Prüfung", "en": "when checked"},
}
_RESOLVED: dict[Literal["de", "en"], str] = {
    "de": "Kanal {channel}: wieder in Ordnung; Meldung beendet.",
    "en": "Channel {channel}: healthy again; alert resolved.",
}


def describe(finding: Finding, lang: str) -> str:
    """What a person reads in the alert, in German or English."""
    language: Literal["de", "en"] = "de" if lang == "de" else "en"
    detail = dict(finding.detail)
    if "source" in detail:
        detail["source"] = _SOURCES.get(str(detail["source"]), {}).get(language, detail["source"])
    if "error" in detail:
        detail["error"] = str(detail["error"])[:300] or "–"
    return _TEXTS[finding.problem][language].format(channel=finding.channel, **detail)


def resolved_text(channel: str, lang: str) -> str:
    return _RESOLVED["de" if lang == "de" else "en"].format(channel=channel)
