"""The public status page ``/status/{slug}``, its Atom feed, and e-mail subscriptions.

Public: no route here asks who the visitor is (so no session and no CSRF token either: the
confirm and unsubscribe links carry their token as the credential, and mail clients' RFC 8058
one-click POST has no way to send anything else). The layout is its own
(``status_page_base.html``): none of the app's navigation, scripts or data, only what
:mod:`crisisdesk.updates.status_page` reads. The page and the feed answer 404 when
``updates.status_page.enabled`` is off; confirming and unsubscribing keep working then, because
mails already sent carry those links (the press list's too).

Abuse of the subscription form is held off by a honeypot field (a filled one gets the usual
answer and nothing happens), a per-address limit of :data:`SUBSCRIBE_LIMIT` requests per
:data:`SUBSCRIBE_WINDOW` seconds (in this process's memory), and the per-address cap on
confirmation mails in :mod:`crisisdesk.updates.subscriptions`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import client_ip
from crisisdesk.runtime import Runtime
from crisisdesk.updates.config import SUBSCRIBERS, StatusPageConfig
from crisisdesk.updates.models import Subscriber
from crisisdesk.updates.status_page import atom_feed, latest_updates, read_page
from crisisdesk.updates.subscriptions import CONFIRM_DAYS, SubscriptionError, confirm, subscribe, unsubscribe
from crisisdesk.web.formatting import Formatter
from crisisdesk.web.i18n import LANGS, Lang, t
from crisisdesk.web.templating import env

log = logging.getLogger(__name__)

#: Subscription requests one client address may make per window.
SUBSCRIBE_LIMIT = 5
SUBSCRIBE_WINDOW = 600.0
#: Days a past incident stays on the page.
PAST_DAYS = 30


class RateLimit:
    """A sliding window per key, in memory (one process; a restart forgets it). At most
    ``max_keys`` keys are remembered, the least recently seen forgotten first."""

    def __init__(self, limit: int, window: float, *, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` may try again (0: counted, go ahead)."""
        at = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= at - self.window:
                hits.popleft()
            self._hits[key] = hits
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            if len(hits) >= self.limit:
                return hits[0] + self.window - at
            hits.append(at)
            return 0.0


class _Missing(Exception):
    """Another slug, or the page is switched off: a 404 page that names nothing."""


def _accepted(header: str | None) -> Lang | None:
    """The first of de/en the browser asks for, or None when it names neither."""
    ranked: list[tuple[float, int, Lang]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if q > 0 and primary in LANGS:
            ranked.append((-q, i, "de" if primary == "de" else "en"))
    return sorted(ranked)[0][2] if ranked else None


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    limit = RateLimit(SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW)

    def config(slug: str, *, page: bool = True) -> StatusPageConfig:
        """The page's settings; :class:`_Missing` (a 404 page) for another slug, or (``page``) when
        the page is switched off."""
        found = runtime.workspace.config.updates.status_page
        if slug != found.slug or (page and not found.enabled):
            raise _Missing()
        return found

    def lang_of(request: Request, *, own: str | None = None) -> Lang:
        asked = request.query_params.get("lang")
        if asked in LANGS:
            return "de" if asked == "de" else "en"
        if own in LANGS:
            return "de" if own == "de" else "en"
        default = runtime.workspace.config.detection.language
        return _accepted(request.headers.get("accept-language")) or ("de" if default == "de" else "en")

    def now() -> datetime:
        return runtime.runner.clock.now()

    def base_url() -> str:
        return runtime.workspace.config.escalation.base_url.rstrip("/")

    def page(request: Request, template: str, cfg: StatusPageConfig | None, lang: Lang, *,
             status_code: int = 200, here: str | None = None, **context: Any) -> HTMLResponse:
        fmt = Formatter(lang=lang, tz=str(runtime.workspace.config.time_zone))

        def tr(key: str, **values: object) -> str:
            return t(key, lang, **values)

        html = env.get_template(template).render(
            t=tr, lang=lang, fmt=fmt, when=fmt.when, here=here or request.url.path,
            page_title=cfg.title.get(lang) if cfg is not None else t("status.not_found", lang),
            page_url=f"/status/{cfg.slug}" if cfg is not None else "",
            page_enabled=cfg is not None and cfg.enabled, **context)
        response = HTMLResponse(html, status_code=status_code)
        public = template == "status_page.html" and status_code == 200
        response.headers["Cache-Control"] = "public, max-age=30" if public else "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def message(request: Request, cfg: StatusPageConfig | None, lang: Lang, heading: str, text: str, *,
                status_code: int = 200, is_error: bool = False, **context: Any) -> HTMLResponse:
        return page(request, "status_page_message.html", cfg, lang, status_code=status_code,
                    heading=t(heading, lang), text=text, is_error=is_error, **context)

    def status_page(request: Request, cfg: StatusPageConfig, lang: Lang, *, status_code: int = 200,
                    error: str = "", email: str = "") -> HTMLResponse:
        with Session(runtime.engine) as session:
            data = read_page(session, now=now(), days=PAST_DAYS)
        return page(request, "status_page.html", cfg, lang, status_code=status_code, page=data,
                    days=PAST_DAYS, subscriptions=cfg.subscriptions, error=error, email=email,
                    here=f"/status/{cfg.slug}")

    def missing(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        return message(request, None, lang, "status.not_found", "", status_code=404)

    @r.get("/status/{slug}", response_class=HTMLResponse)
    def show(request: Request, slug: str) -> Response:
        try:
            cfg = config(slug)
        except _Missing:
            return missing(request)
        response = status_page(request, cfg, lang_of(request))
        response.headers["Vary"] = "Accept-Language"
        return response

    @r.get("/status/{slug}/feed.atom")
    def feed(request: Request, slug: str) -> Response:
        try:
            cfg = config(slug)
        except _Missing:
            return missing(request)
        lang = lang_of(request)
        with Session(runtime.engine) as session:
            updates = latest_updates(session)
        body = atom_feed(updates, base_url=base_url(), slug=cfg.slug, title=cfg.title.get(lang), lang=lang,
                         now=now())
        return Response(body, media_type="application/atom+xml; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=60", "Vary": "Accept-Language"})

    @r.post("/status/{slug}/subscribe", response_class=HTMLResponse)
    def subscribe_form(request: Request, slug: str, email: Annotated[str, Form(max_length=1000)] = "",
                       lang: Annotated[str, Form(max_length=8)] = "",
                       website: Annotated[str, Form(max_length=1000)] = "") -> Response:
        try:
            cfg = config(slug)
        except _Missing:
            return missing(request)
        if not cfg.subscriptions:
            return missing(request)
        chosen: Lang = "de" if lang == "de" else ("en" if lang == "en" else lang_of(request))

        def done() -> HTMLResponse:
            """The same answer whatever the address's state (and for a filled honeypot)."""
            return message(request, cfg, chosen, "status.check_mail.title",
                           t("status.check_mail.text", chosen, days=CONFIRM_DAYS), here=f"/status/{cfg.slug}")

        if website.strip():  # the honeypot: a person never sees that field
            log.info("status page: subscription with the honeypot filled ignored")
            return done()
        wait = limit.wait(client_ip(request))
        if wait:
            minutes = max(1, int(wait // 60 + (1 if wait % 60 else 0)))
            response = status_page(request, cfg, chosen, status_code=429, email=email[:254],
                                   error=t("status.error.throttled", chosen, minutes=minutes))
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        try:
            with Session(runtime.engine) as session, session.begin():
                subscribe(session, list_key=SUBSCRIBERS, email=email, lang=chosen, now=now(),
                          base_url=base_url(), slug=cfg.slug, title=cfg.title.get(chosen))
        except SubscriptionError as exc:
            return status_page(request, cfg, chosen, status_code=exc.status, email=email[:254],
                               error=t(f"status.error.{exc.code}", chosen))
        except IntegrityError:  # the same address sent twice at once: the other request queued the mail
            return done()
        queued = getattr(runtime, "update_mails_queued", None)
        if callable(queued):
            queued()
        return done()

    @r.get("/status/{slug}/confirm/{token}", response_class=HTMLResponse)
    def confirm_link(request: Request, slug: str, token: str) -> Response:
        try:
            cfg = config(slug, page=False)
        except _Missing:
            return missing(request)
        with Session(runtime.engine) as session, session.begin():
            row = confirm(session, token=token, now=now())
            own = row.lang if row is not None else None
        lang = lang_of(request, own=own)
        if row is None:
            return message(request, cfg, lang, "status.link_unknown.title",
                           t("status.link_unknown.text", lang, days=CONFIRM_DAYS), status_code=404,
                           is_error=True)
        return message(request, cfg, lang, "status.confirmed.title", t("status.confirmed.text", lang))

    def subscriber_of(token: str) -> Subscriber | None:
        if not token or len(token) > 64:
            return None
        with Session(runtime.engine) as session:
            query = select(Subscriber).where(Subscriber.unsubscribe_token == token)
            return session.scalars(query).one_or_none()

    @r.get("/status/{slug}/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_page(request: Request, slug: str, token: str) -> Response:
        """A button, not the deed: link scanners and previews follow GET links."""
        try:
            cfg = config(slug, page=False)
        except _Missing:
            return missing(request)
        row = subscriber_of(token)
        lang = lang_of(request, own=row.lang if row is not None else None)
        if row is None:
            return message(request, cfg, lang, "status.link_unknown.title",
                           t("status.unsubscribe.unknown", lang), status_code=404, is_error=True)
        if row.unsubscribed_at is not None:
            return message(request, cfg, lang, "status.unsubscribed.title",
                           t("status.unsubscribed.text", lang))
        return message(request, cfg, lang, "status.unsubscribe.title", t("status.unsubscribe.text", lang),
                       unsubscribe_form=f"/status/{cfg.slug}/unsubscribe/{token}?lang={lang}")

    @r.post("/status/{slug}/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_now(request: Request, slug: str, token: str) -> Response:
        """The page's button and RFC 8058's one-click POST (body ``List-Unsubscribe=One-Click``)
        alike; the token in the address is the credential. Idempotent."""
        try:
            cfg = config(slug, page=False)
        except _Missing:
            return missing(request)
        with Session(runtime.engine) as session, session.begin():
            row = unsubscribe(session, token=token, now=now())
            own = row.lang if row is not None else None
        lang = lang_of(request, own=own)
        if row is None:
            return message(request, cfg, lang, "status.link_unknown.title",
                           t("status.unsubscribe.unknown", lang), status_code=404, is_error=True)
        return message(request, cfg, lang, "status.unsubscribed.title", t("status.unsubscribed.text", lang),
                       here=f"/status/{cfg.slug}")

    return r
