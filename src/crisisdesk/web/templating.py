"""Jinja2 templates with the request's language, formatting and the signed-in user.

Every page gets ``t`` (messages), ``fmt`` (numbers, dates in the user's locale), ``lang``,
``user`` (the :class:`~crisisdesk.accounts.schemas.Principal` or None), ``csrf`` (the token forms
must carry) and ``nav`` (which item is current). Autoescaping is on: chart SVG is marked safe
where it is produced (it escapes its own text).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crisisdesk.accounts.schemas import Principal
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.zones import DEFAULT_ZONE, check_zone
from crisisdesk.crises.approval import waiting_count
from crisisdesk.crises.mode import ActiveMode, in_force
from crisisdesk.detection.reasons import describe
from crisisdesk.web import charts
from crisisdesk.web.formatting import Formatter, format_number
from crisisdesk.web.i18n import MESSAGES, Lang, choose_lang, t

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
LANG_COOKIE = "crisisdesk_lang"

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


def _sparkline(monitor: Any, title: str, fmt: Formatter) -> str:
    return charts.sparkline([float(p.volume) for p in monitor.sparkline], title=title, fmt=fmt,
                            partial_last=monitor.sparkline_partial_last)


def _has_text(key: str) -> bool:
    """Whether a message exists (values from the data, like an event name, fall back to themselves)."""
    return key in MESSAGES


def _web_link(url: str | None) -> bool:
    """Whether a link from the data (a post's, an attachment's) may be an ``href``: http(s) only.
    Posts come from anyone; a ``javascript:`` link would run in the reader's session, and other
    schemes (``geo:``, a platform's media id) are shown as text."""
    return isinstance(url, str) and url[:8].lower().startswith(("https://", "http://"))


env.globals["sparkline"] = _sparkline
env.globals["has_text"] = _has_text
env.globals["web_link"] = _web_link


def _signal_value(fmt: Formatter, signal: str, value: float) -> str:
    """Shares as percentages, counts and ratios as numbers, in the reader's locale."""
    if signal.endswith("_share"):
        return fmt.percent(value)
    if signal == "volume_ratio" and not float(value).is_integer():
        return format_number(value, fmt.lang, decimals=1)  # "3,5-fach", not a rounded 4
    return fmt.number(value)


def request_lang(request: Request, user: Principal | None) -> Lang:
    """The user's setting, else a language chosen on the page (cookie), else the browser's."""
    own = user.user.lang if user is not None and user.user is not None else None
    return choose_lang(own or request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def request_zone(request: Request, user: Principal | None) -> str:
    """The user's own time zone, else the workspace's (``time_zone`` in its configuration)."""
    own = user.user.time_zone if user is not None and user.user is not None else None
    if own:
        try:
            return check_zone(own)
        except ValueError:
            pass  # a zone that vanished from the system's database: fall back, never fail the page
    runtime = getattr(request.app.state, "runtime", None)
    return str(runtime.workspace.config.time_zone) if runtime is not None else DEFAULT_ZONE


def request_formatter(request: Request, user: Principal | None) -> Formatter:
    """How this user reads numbers and times: their language and their time zone."""
    return Formatter(lang=request_lang(request, user), tz=request_zone(request, user))


def _stream_clock(request: Request) -> datetime | None:
    """The replayed clock's time when the service runs on stream time (the demo, a replay), so
    pages can say which of their times are stream time and which wall time; None: wall time only."""
    runtime = getattr(request.app.state, "runtime", None)
    clock = runtime.runner.clock if runtime is not None else None
    return None if clock is None or isinstance(clock, SystemClock) else clock.now()


def crisis_modes(request: Request) -> list[ActiveMode]:
    """The crisis modes in force, for the banner on every page; none when the database is away
    (the page still renders and says so itself)."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return []
    try:
        with Session(runtime.engine) as session:
            return in_force(session)
    except SQLAlchemyError:
        return []


def render(request: Request, template: str, user: Principal | None, *, nav: str = "",
           status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = request_lang(request, user)
    fmt = request_formatter(request, user)

    def tr(key: str, **values: object) -> str:
        return t(key, lang, **values)

    def when(value: str | datetime | None) -> str:
        """An ISO timestamp (as the situation service gives it) in the user's locale."""
        if value is None or value == "":
            return ""
        return fmt.when(value if isinstance(value, datetime) else datetime.fromisoformat(value))

    def summary_of(item: Any) -> str:
        """A situation's summary in the reader's language (detection writes both)."""
        get = item.get if isinstance(item, Mapping) else lambda key, default=None: getattr(item, key, default)
        summaries = get("summaries") or {}
        return str(summaries.get(lang) or get("summary") or "")

    def reasons_of(detail: Mapping[str, Any] | None) -> list[str]:
        """Why a severity, in the reader's language (the playbook's level names of the page)."""
        names = dict(context.get("levels") or [])  # (level, name in the reader's language)
        return describe(detail, lang, lambda level: str(names.get(level, "")),
                        lambda signal, value: _signal_value(fmt, signal, value))

    def approvals_waiting() -> int:
        """Replies awaiting approval, for the nav's count (asked only for those who may approve)."""
        runtime = getattr(request.app.state, "runtime", None)
        if runtime is None:
            return 0
        with Session(runtime.engine) as session:
            return waiting_count(session)

    html = env.get_template(template).render(
        request=request, t=tr, fmt=fmt, lang=lang, user=user, nav=nav, when=when,
        summary_of=summary_of, reasons_of=reasons_of, approvals_waiting=approvals_waiting,
        csrf=user.csrf_token if user is not None else "", svg=Markup, stream_now=_stream_clock(request),
        wall_now=datetime.now(UTC), crisis_banner=crisis_modes(request) if user is not None else [],
        **context)
    return HTMLResponse(html, status_code=status_code)


def render_document(template: str, fmt: Formatter, **context: Any) -> str:
    """A page outside a request (an export to download or print): the reader's language and time
    zone come with ``fmt``; no user, no navigation, no forms."""

    def tr(key: str, **values: object) -> str:
        return t(key, fmt.lang, **values)

    def when(value: str | datetime | None) -> str:
        if value is None or value == "":
            return ""
        return fmt.when(value if isinstance(value, datetime) else datetime.fromisoformat(value))

    return env.get_template(template).render(t=tr, fmt=fmt, lang=fmt.lang, when=when, svg=Markup, **context)
