"""Sign in, sign out, choose the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import (
    OptionalUser,
    accounts_config,
    check_origin,
    set_session_cookie,
    sign_in_request,
    sign_out_request,
)
from crisisdesk.accounts.errors import InvalidCredentials, LoginThrottled
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import LANGS, t
from crisisdesk.web.templating import LANG_COOKIE, render, request_lang


def _safe_next(value: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
        if user is not None:
            return RedirectResponse(_safe_next(next), status_code=303)
        return render(request, "login.html", None, next=_safe_next(next), email="", error="")

    @r.post("/login", response_class=HTMLResponse)
    def login(request: Request, email: Annotated[str, Form()], password: Annotated[str, Form()],
              next: Annotated[str, Form()] = "/") -> Response:
        check_origin(request)
        lang = request_lang(request, None)
        try:
            signed = sign_in_request(request, email=email, password=password)
        except LoginThrottled as exc:
            page = render(request, "login.html", None, next=_safe_next(next), email=email, status_code=429,
                          error=t("login.throttled", lang, seconds=exc.retry_after))
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        except InvalidCredentials:
            return render(request, "login.html", None, next=_safe_next(next), email=email, status_code=401,
                          error=t("login.failed", lang))
        response = RedirectResponse(_safe_next(next), status_code=303)
        set_session_cookie(request, response, signed.session)
        return response

    @r.post("/logout")
    def logout(request: Request, user: OptionalUser) -> Response:
        response = RedirectResponse("/login", status_code=303)
        sign_out_request(request, response)
        return response

    @r.post("/language")
    def language(request: Request, user: OptionalUser, lang: Annotated[str, Form()],
                 back: Annotated[str | None, Form()] = None) -> Response:
        """Remember the choice in a cookie, and on the user's account when signed in."""
        chosen = lang if lang in LANGS else "en"
        target = _safe_next(back or _referer_path(request))
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax", httponly=True)
        if user is not None and user.user is not None:
            from crisisdesk.accounts import actions, service
            from crisisdesk.accounts.schemas import UserUpdate

            config = accounts_config(request)
            with Session(config.engine) as session, session.begin():
                actions.update_user(session, service.get_user(session, user.user.id),
                                    UserUpdate(lang=chosen), actor=user.actor, clock=config.clock)
        return response

    return r


def _referer_path(request: Request) -> str:
    from urllib.parse import urlsplit

    referer = request.headers.get("referer") or "/"
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.headers.get("host"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "") or "/"
