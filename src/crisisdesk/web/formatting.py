"""Numbers, shares, dates and durations in the user's locale (German or English), via Babel.

Babel ships the CLDR data, so "1.234.567" and "12,5 %" in German and "1,234,567" and "12.5%" in
English come from the same tables every other locale-aware program uses, not from our own rules.
Stored datetimes are UTC; they are shown in the user's time zone (``tz``, an IANA name), and
pages name that zone once (:meth:`Formatter.zone`). English is British English: day month year
and the 24-hour clock ("3 Nov 2026, 15:05"), never the US "11/3/26, 3:05 PM".

:class:`Formatter` bundles one user's language and zone; it is what the charts take as ``fmt``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel import units as babel_units

Lang = Literal["de", "en"]
DateStyle = Literal["short", "medium", "long", "time", "date", "day", "hour"]

#: CLDR skeletons per style and language: "day" and "hour" are the short forms axis ticks need.
_SKELETONS: dict[tuple[str, str], str] = {("day", "de"): "MMMd", ("day", "en"): "MMMd",
                                          ("hour", "de"): "Hm", ("hour", "en"): "Hm"}


def _locale(lang: str) -> str:
    """Numbers: "1,234" and "2.5M" read the same on both sides of the Atlantic."""
    return "de_DE" if lang == "de" else "en_US"


def _date_locale(lang: str) -> str:
    """Dates and times: British English ("3 Nov 2026, 15:05")."""
    return "de_DE" if lang == "de" else "en_GB"


def _finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))


def format_number(value: float, lang: Lang, *, decimals: int = 0, compact: bool = False) -> str:
    """``1234567`` → "1.234.567" (de) / "1,234,567" (en); ``compact`` (from a million on):
    "1,2 Mio." / "1.2M". Below a million German CLDR has no short form, so grouping it is."""
    if not _finite(value):
        return "–"
    if compact and abs(value) >= 1_000_000:
        return babel_numbers.format_compact_decimal(value, locale=_locale(lang), fraction_digits=1)
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return babel_numbers.format_decimal(round(value, decimals), format=pattern, locale=_locale(lang),
                                        decimal_quantization=True)


#: Decimal units, as the platforms state their limits ("16 MB").
_BYTE_UNITS = (("digital-gigabyte", 10**9), ("digital-megabyte", 10**6), ("digital-kilobyte", 10**3))


def format_bytes(value: int, lang: Lang) -> str:
    """A file size: ``1_500_000`` → "1,5 MB" (de) / "1.5 MB" (en); below a kilobyte in bytes."""
    for unit, size in _BYTE_UNITS:
        if value >= size:
            return babel_units.format_unit(value / size, unit, length="short", format="#,##0.#",
                                           locale=_locale(lang))
    return babel_units.format_unit(value, "digital-byte", length="short", locale=_locale(lang))


def format_percent(value: float, lang: Lang, *, decimals: int = 1) -> str:
    """A share 0…1: ``0.125`` → "12,5 %" (de) / "12.5%" (en)."""
    if not _finite(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    text = babel_numbers.format_percent(value, format=pattern, locale=_locale(lang))
    # German typesetting puts a (non-breaking) space before the sign, as CLDR's own pattern does.
    return text.replace("%", "\u00a0%") if lang == "de" else text


def format_datetime(value: datetime, lang: Lang, *, style: DateStyle = "medium",
                    tz: str | tzinfo = "UTC") -> str:
    """A stored (UTC) datetime in the user's zone: "03.11.2026, 15:05" / "3 Nov 2026, 15:05"."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    zone = babel_dates.get_timezone(tz) if isinstance(tz, str) else tz
    locale = _date_locale(lang)
    if style == "time":
        return babel_dates.format_time(value, "short", tzinfo=zone, locale=locale)
    if style == "date":
        return babel_dates.format_date(value.astimezone(zone).date(), "medium", locale=locale)
    if style == "short":  # the date in full (a 2-digit year or a numeric month misleads), then the time
        return (babel_dates.format_date(value.astimezone(zone).date(), "medium", locale=locale) + ", "
                + babel_dates.format_time(value, "short", tzinfo=zone, locale=locale))
    skeleton = _SKELETONS.get((style, "de" if lang == "de" else "en"))
    if skeleton is not None:
        return babel_dates.format_skeleton(skeleton, value, tzinfo=zone, locale=locale)
    return babel_dates.format_datetime(value, style, tzinfo=zone, locale=locale)


def format_timedelta(value: timedelta, lang: Lang, *, add_direction: bool = False) -> str:
    """``timedelta(minutes=95)`` → "2 Stunden" / "2 hours" (rounded to the largest sensible unit);
    ``add_direction``: "vor 2 Stunden" / "2 hours ago" for a negative delta."""
    return babel_dates.format_timedelta(value, locale=_date_locale(lang), add_direction=add_direction,
                                        threshold=1.5)


_UNITS: dict[str, tuple[str, str, str, str]] = {
    "de": ("Tg.", "Std.", "Min.", "s"),
    "en": ("d", "h", "min", "s"),
}


def format_duration(seconds: float, lang: Lang) -> str:
    """A measured duration to the minute, in at most two units: "1 Std. 50 Min." / "1 h 50 min",
    "45 s", "2 Tg. 3 Std.". For figures people compare (time to respond), where "2 hours" for
    110 minutes would hide the difference that matters."""
    total = max(0, round(seconds))
    day, hour, minute, second = _UNITS[lang]
    if total < 60:
        return f"{total} {second}"
    minutes = round(total / 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [(days, day), (hours, hour), (mins, minute)]
    return " ".join(f"{n} {unit}" for n, unit in [p for p in parts if p[0]][:2])


@dataclass(frozen=True)
class Formatter:
    """One user's formatting: the ``fmt`` the charts and templates take."""

    lang: Lang = "en"
    tz: str = "UTC"

    def number(self, value: float) -> str:
        return format_number(value, self.lang, compact=True)

    def size(self, value: int) -> str:
        return format_bytes(value, self.lang)

    def percent(self, value: float) -> str:
        whole = _finite(value) and round(value * 100, 1).is_integer()
        return format_percent(value, self.lang, decimals=0 if whole else 1)

    def when(self, value: datetime) -> str:
        return format_datetime(value, self.lang, style="short", tz=self.tz)

    def tick(self, value: datetime, step: timedelta) -> str:
        """An axis label: the time of day for steps under a day, the date otherwise."""
        return format_datetime(value, self.lang, style="hour" if step < timedelta(days=1) else "day",
                               tz=self.tz)

    def timedelta(self, value: timedelta) -> str:
        return format_timedelta(value, self.lang)

    def duration(self, seconds: float) -> str:
        return format_duration(seconds, self.lang)

    def zone(self, at: datetime | None = None) -> str:
        """The zone the times are in, as a page names it: "Europe/Berlin (MEZ)" / "Europe/Berlin
        (CET)"; "UTC" alone."""
        if self.tz == "UTC":
            return "UTC"
        zone = babel_dates.get_timezone(self.tz)
        when = (at or datetime.now(UTC)).astimezone(zone)
        # CLDR's short name where it has one that people use ("MEZ" in German), else the zone
        # database's abbreviation ("EST", "JST"; "+03" where a place has none).
        short = babel_dates.format_datetime(when, "z", tzinfo=zone, locale=_date_locale(self.lang))
        if len(short) > 5 or short.startswith(("GMT", "UTC", "+", "-")):
            short = when.strftime("%Z")
        return f"{self.tz} ({short})" if short and short != self.tz else self.tz
