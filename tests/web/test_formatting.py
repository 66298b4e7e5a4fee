"""Numbers, shares, dates and durations in German and English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisisdesk.web.formatting import (
    Formatter,
    format_datetime,
    format_duration,
    format_number,
    format_percent,
    format_timedelta,
)

NBSP = "\u00a0"
AT = datetime(2026, 11, 3, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "kwargs", "de", "en"),
    [
        (1234567, {}, "1.234.567", "1,234,567"),
        (0, {}, "0", "0"),
        (-1500, {}, "-1.500", "-1,500"),
        (12.345, {"decimals": 2}, "12,35", "12.35"),
        (2_500_000, {"compact": True}, "2,5 Mio.", "2.5M"),
        (25_000, {"compact": True}, "25.000", "25,000"),
        (float("nan"), {}, "–", "–"),
        (float("inf"), {"compact": True}, "–", "–"),
    ],
)
def test_numbers(value: float, kwargs: dict[str, object], de: str, en: str) -> None:
    assert format_number(value, "de", **kwargs).replace(NBSP, " ") == de  # type: ignore[arg-type]
    assert format_number(value, "en", **kwargs) == en  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "decimals", "de", "en"),
    [
        (0.125, 1, f"12,5{NBSP}%", "12.5%"),
        (1, 0, f"100{NBSP}%", "100%"),
        (0, 1, f"0,0{NBSP}%", "0.0%"),
        (0.00049, 1, f"0,0{NBSP}%", "0.0%"),
    ],
)
def test_percent(value: float, decimals: int, de: str, en: str) -> None:
    assert format_percent(value, "de", decimals=decimals) == de
    assert format_percent(value, "en", decimals=decimals) == en


def test_datetimes_in_the_users_zone() -> None:
    assert format_datetime(AT, "de", style="short", tz="Europe/Berlin") == "03.11.2026, 15:05"
    # English is day month year and 24-hour, not US-style
    assert format_datetime(AT, "en", style="short", tz="UTC") == "3 Nov 2026, 14:05"
    assert format_datetime(AT, "en", style="short", tz="Europe/Berlin") == "3 Nov 2026, 15:05"
    assert format_datetime(AT, "de", style="date") == "03.11.2026"
    assert format_datetime(AT, "en", style="date") == "3 Nov 2026"
    assert format_datetime(AT, "de", style="day") == "3. Nov."
    assert format_datetime(AT, "de", style="hour", tz="Europe/Berlin") == "15:05"
    assert format_datetime(AT, "en", style="hour") == "14:05"
    # a naive datetime is taken as UTC (storage is UTC)
    assert format_datetime(AT.replace(tzinfo=None), "de", style="time") == "14:05"
    # summer time
    assert (
        format_datetime(datetime(2026, 7, 1, 12, tzinfo=UTC), "de", style="time", tz="Europe/Berlin")
        == "14:00"
    )


def test_the_zone_is_named_as_a_page_says_it() -> None:
    assert Formatter("en", "Europe/Berlin").zone(AT) == "Europe/Berlin (CET)"
    assert Formatter("de", "Europe/Berlin").zone(AT) == "Europe/Berlin (MEZ)"
    assert Formatter("en", "Europe/Berlin").zone(datetime(2026, 7, 1, tzinfo=UTC)) == "Europe/Berlin (CEST)"
    assert Formatter("en", "UTC").zone(AT) == "UTC"
    assert Formatter("en", "America/New_York").zone(AT) == "America/New_York (EST)"
    assert Formatter("de", "Asia/Tokyo").zone(AT) == "Asia/Tokyo (JST)"


def test_durations() -> None:
    assert format_timedelta(timedelta(minutes=95), "de") == "2 Stunden"
    assert format_timedelta(timedelta(minutes=95), "en") == "2 hours"
    assert format_timedelta(timedelta(minutes=30), "de") == "30 Minuten"
    assert format_timedelta(-timedelta(hours=3), "de", add_direction=True) == "vor 3 Stunden"
    assert format_timedelta(-timedelta(hours=3), "en", add_direction=True) == "3 hours ago"


def test_formatter_is_what_the_charts_take() -> None:
    de, en = Formatter("de", "Europe/Berlin"), Formatter("en")
    assert de.number(1234) == "1.234" and en.number(1234) == "1,234"
    assert de.number(3_400_000) == f"3,4{NBSP}Mio." and en.number(3_400_000) == "3.4M"
    assert (
        de.percent(0.5) == f"50{NBSP}%"
        and de.percent(0.125) == f"12,5{NBSP}%"
        and en.percent(0.125) == "12.5%"
    )
    assert de.when(AT) == "03.11.2026, 15:05"
    assert de.tick(AT, timedelta(hours=1)) == "15:05" and de.tick(AT, timedelta(days=1)) == "3. Nov."
    assert en.tick(AT, timedelta(days=1)) == "3 Nov"
    assert de.timedelta(timedelta(hours=2)) == "2 Stunden"


@pytest.mark.parametrize(
    ("seconds", "de", "en"),
    [
        (45, "45 s", "45 s"),
        (3000, "50 Min.", "50 min"),
        (6600, "1 Std. 50 Min.", "1 h 50 min"),  # babel's "2 hours" would hide 10 minutes
        (18000, "5 Std.", "5 h"),
        (86400 * 2 + 3 * 3600 + 20 * 60, "2 Tg. 3 Std.", "2 d 3 h"),  # two units at most
        (86400 + 45 * 60, "1 Tg. 45 Min.", "1 d 45 min"),
        (-5, "0 s", "0 s"),
    ],
)
def test_a_measured_duration_is_precise_to_the_minute(seconds: float, de: str, en: str) -> None:
    assert format_duration(seconds, "de") == de
    assert format_duration(seconds, "en") == en
