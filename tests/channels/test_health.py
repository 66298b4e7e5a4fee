"""Channel health as pure rules over stored facts: each problem is found, a channel that is usually
quiet raises nothing when quiet, and a recovery ends the problem; the thresholds are validated
with the place of a bad value."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crisisdesk.channels.health import (
    EVER,
    ChannelFacts,
    Finding,
    HealthConfig,
    Problem,
    State,
    describe,
    evaluate,
    state_of,
)
from crisisdesk.core.errors import ConfigError
from crisisdesk.workspace import parse_config

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
DEFAULTS = HealthConfig()

#: A webhook channel with about 12 deliveries an hour (288 a day), the last one a minute ago.
BUSY = ChannelFacts("wa", webhook=True, deliveries_24h=288, last_delivery=NOW - MIN, same_time_yesterday=20)
#: A feed polled every few minutes, all well.
POLLER = ChannelFacts("feed", polls=True, last_ok_at=NOW - MIN)


def at(minutes: float) -> datetime:
    return NOW - minutes * MIN


CASES: list[tuple[str, ChannelFacts, HealthConfig, set[Problem]]] = [
    # -- webhook silence --------------------------------------------------------------------------
    ("busy and receiving", BUSY, DEFAULTS, set()),
    ("busy, quiet for 29 minutes: within the floor", replace(BUSY, last_delivery=at(29)), DEFAULTS, set()),
    ("busy, quiet for 31 minutes", replace(BUSY, last_delivery=at(31)), DEFAULTS, {Problem.SILENT}),
    ("busy, quiet, but quiet at this time yesterday too (a nightly lull)",
     replace(BUSY, last_delivery=at(90), same_time_yesterday=1), DEFAULTS, set()),
    ("yesterday's comparison switched off", replace(BUSY, last_delivery=at(90), same_time_yesterday=0),
     HealthConfig(silent_yesterday=0), {Problem.SILENT}),
    ("usually quiet (1 an hour): quiet for 5 hours is no news",
     replace(BUSY, deliveries_24h=24, last_delivery=at(300)), DEFAULTS, set()),
    ("2 an hour: the usual gap is 30 min, silent only after 4 × 30 = 120 min",
     replace(BUSY, deliveries_24h=48, last_delivery=at(100)), DEFAULTS, set()),
    ("2 an hour, quiet for 125 minutes", replace(BUSY, deliveries_24h=48, last_delivery=at(125)), DEFAULTS,
     {Problem.SILENT}),
    ("a lower bar for busy", replace(BUSY, deliveries_24h=24, last_delivery=at(300)),
     HealthConfig(silent_min_per_hour=1), {Problem.SILENT}),
    ("never received anything", ChannelFacts("wa", webhook=True), DEFAULTS, set()),
    ("a poller is never 'silent' (an empty poll is a quiet search)",
     replace(POLLER, deliveries_24h=288, last_delivery=at(300), same_time_yesterday=50), DEFAULTS, set()),
    # -- polls --------------------------------------------------------------------------------------
    ("two failures", replace(POLLER, failures=2, last_error="HTTP 500"), DEFAULTS, set()),
    ("three failures in a row", replace(POLLER, failures=3, last_error="HTTP 500"), DEFAULTS,
     {Problem.FAILING}),
    ("five allowed", replace(POLLER, failures=4), HealthConfig(poll_failures=5), set()),
    ("back after failures (the count is reset by a success)", replace(POLLER, failures=0), DEFAULTS, set()),
    ("rate limited for 10 minutes", replace(POLLER, failures=6, limited_since=at(10)), DEFAULTS, set()),
    ("rate limited for 31 minutes: not 'failing'", replace(POLLER, failures=6, limited_since=at(31)),
     DEFAULTS, {Problem.RATE_LIMITED}),
    ("a shorter patience", replace(POLLER, failures=2, limited_since=at(11)),
     HealthConfig(rate_limited_minutes=10), {Problem.RATE_LIMITED}),
    # -- credentials --------------------------------------------------------------------------------
    ("refused when sending, nothing worked since",
     replace(BUSY, credentials_error="(190) token expired", credentials_error_at=at(5),
             credentials_source="send"),
     DEFAULTS, {Problem.CREDENTIALS}),
    ("refused, then a check worked",
     replace(BUSY, credentials_error="x", credentials_error_at=at(5), checked_ok_at=at(1)), DEFAULTS, set()),
    ("refused, then a send worked",
     replace(BUSY, credentials_error="x", credentials_error_at=at(5), last_sent_at=at(2)), DEFAULTS, set()),
    ("a send that worked before the refusal does not count",
     replace(BUSY, credentials_error="x", credentials_error_at=at(5), last_sent_at=at(9)), DEFAULTS,
     {Problem.CREDENTIALS}),
    ("a poller refused: dead credentials explain the failures (one alert, not two)",
     replace(POLLER, failures=7, last_ok_at=at(60), credentials_error="401", credentials_error_at=at(50)),
     DEFAULTS, {Problem.CREDENTIALS}),
    ("a poller refused, then a poll worked",
     replace(POLLER, credentials_error="401", credentials_error_at=at(50), last_ok_at=at(1)), DEFAULTS,
     set()),
    ("dead credentials and silence are two problems",
     replace(BUSY, last_delivery=at(45), credentials_error="x", credentials_error_at=at(40)), DEFAULTS,
     {Problem.CREDENTIALS, Problem.SILENT}),
]


@pytest.mark.parametrize(("facts", "config", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_found_and_nothing_else(facts: ChannelFacts, config: HealthConfig,
                                                expected: set[Problem]) -> None:
    assert {f.problem for f in evaluate(facts, config, NOW)} == expected


def test_since_is_the_last_moment_the_channel_was_fine() -> None:
    [silent] = evaluate(replace(BUSY, last_delivery=at(45)), DEFAULTS, NOW)
    assert silent.since == at(45) and silent.detail == {"minutes": 45, "per_hour": 12.0, "yesterday": 20}
    [failing] = evaluate(replace(POLLER, failures=3, last_ok_at=at(20), last_error="HTTP 502"), DEFAULTS, NOW)
    assert failing.since == at(20) and failing.detail == {"failures": 3, "error": "HTTP 502"}
    [never] = evaluate(replace(POLLER, failures=3, last_ok_at=None), DEFAULTS, NOW)
    assert never.since == EVER
    # Refused again and again, the problem is the same one: since the last time something worked.
    [dead] = evaluate(replace(BUSY, credentials_error="gone", credentials_error_at=at(3),
                              credentials_source="check", last_sent_at=at(30), checked_ok_at=at(90)),
                      DEFAULTS, NOW)
    assert dead.since == at(30) and dead.detail == {"error": "gone", "source": "check"}


@pytest.mark.parametrize(("problems", "enabled", "state"), [
    (set(), True, State.RECEIVING),
    ({Problem.SILENT}, True, State.SILENT),
    ({Problem.SILENT, Problem.CREDENTIALS}, True, State.CREDENTIALS_DEAD),
    ({Problem.RATE_LIMITED}, True, State.RATE_LIMITED),
    ({Problem.FAILING}, True, State.FAILING),
    ({Problem.FAILING}, False, State.DISABLED),
])
def test_the_state_is_the_worst_problem(problems: set[Problem], enabled: bool, state: State) -> None:
    assert state_of([Finding("c", p, NOW) for p in problems], enabled=enabled) is state


@pytest.mark.parametrize("problem", list(Problem))
def test_every_problem_is_said_in_german_and_english(problem: Problem) -> None:
    detail = {"error": "HTTP 401", "source": "send", "failures": 4, "minutes": 47, "per_hour": 12.5,
              "yesterday": 9}
    de, en = (describe(Finding("voltaro-wa", problem, NOW, detail), lang) for lang in ("de", "en"))
    assert "voltaro-wa" in de and "voltaro-wa" in en and de != en
    assert "{" not in de + en


def test_thresholds_are_set_per_channel_and_a_bad_one_names_its_place() -> None:
    config = parse_config("""
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "123:abc"
    secret_token: a-secret-token-0123
    health: {severity: 2, silent_minutes: 45, poll_failures: 5}
""", path="crisisdesk.yaml")
    health = config.channels[0].health
    assert (health.severity, health.silent_minutes, health.poll_failures, health.check_hours) == \
        (2, 45, 5, 6.0)
    with pytest.raises(ConfigError) as bad:
        parse_config("""
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "123:abc"
    secret_token: a-secret-token-0123
    health: {severity: 7}
""", path="crisisdesk.yaml")
    assert "channels[0].telegram.health.severity" in str(bad.value)
    with pytest.raises(ConfigError) as unknown:
        parse_config("""
channels:
  - key: voltaro-tg
    platform: telegram
    bot_token: "123:abc"
    secret_token: a-secret-token-0123
    health: {silence_minutes: 20}
""", path="crisisdesk.yaml")
    assert "channels[0].telegram.health.silence_minutes" in str(unknown.value)
