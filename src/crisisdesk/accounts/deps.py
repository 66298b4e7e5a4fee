"""FastAPI dependencies: who is asking, may they, and did their browser mean it.

The contract (also in ``docs/accounts.md``):

* **Identification**, in this order:
  1. ``Authorization: Bearer <secret>``: the shared service token (``CRISISDESK_API_TOKEN``;
     permissions :data:`~crisisdesk.accounts.roles.SERVICE_PERMISSIONS` only) or a personal API
     token (``cdk_…``; acts as its user with the user's *current* role). A bearer header that
     matches neither is a 401, never a fall-back to the cookie.
  2. Cookie ``crisisdesk_session``: a web session (HttpOnly, SameSite=Lax, Path=/, Max-Age 7 days;
     Secure unless ``CRISISDESK_COOKIE_SECURE=auto`` and the request is plain http to 127.0.0.1,
     ::1 or localhost; ``always``/``never`` force it). The session slides: 12 hours without a
     request end it, and it never outlives 7 days after sign-in. An invalid or expired cookie
     counts as no cookie.
* **CSRF**: a request authenticated by the cookie with method POST, PUT, PATCH or DELETE must
  carry the session's CSRF token in header ``X-CSRF-Token`` or, for form posts
  (``application/x-www-form-urlencoded`` or ``multipart/form-data``), in form field
  ``csrf_token``; otherwise :class:`CsrfError` (403). Bearer requests are exempt (a browser never
  adds that header on its own). The token comes with the login answer, ``GET /api/v1/me`` and
  ``Principal.csrf_token``; it stays the same for the whole session.
* **Errors** are ``HTTPException`` subclasses, so the API answers JSON ``{"detail": ...}`` by
  default and the web pages can register their own handlers: :class:`NotAuthenticated` (401;
  redirect to /login), :class:`PermissionDenied` (403), :class:`CsrfError` (403, a subclass of
  PermissionDenied).
* **Dependencies**: :func:`optional_user` (Principal or None), :func:`current_user` (Principal or
  401), :func:`current_person` (a real user, not the service token; else 403),
  :func:`require` (``Depends(require(Permission.VIEW))``: 401 anonymous, 403 without the
  permission). Annotated shortcuts: :data:`OptionalUser`, :data:`CurrentUser`, :data:`CurrentPerson`.
* **Helpers for the sign-in page**: :func:`sign_in_request` then :func:`set_session_cookie`;
  :func:`sign_out_request`; :func:`check_origin` against login CSRF.

``install_accounts`` (in :mod:`crisisdesk.accounts.views`) puts an :class:`AccountsConfig` on
``app.state.accounts``; every dependency here reads it from there.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.accounts import actions, service
from crisisdesk.accounts.passwords import DEFAULT_HASHER
from crisisdesk.accounts.roles import SERVICE_PERMISSIONS, Permission, Role, permissions_of
from crisisdesk.accounts.schemas import Principal, UserRead
from crisisdesk.core.clock import Clock, SystemClock

SESSION_COOKIE = "crisisdesk_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

CookieSecure = Literal["auto", "always", "never"]


@dataclass
class AccountsConfig:
    """What the dependencies need; one per app, on ``app.state.accounts``."""

    engine: Engine
    service_token: str | None = None
    cookie_secure: CookieSecure = "auto"
    clock: Clock = field(default_factory=SystemClock)
    hasher: PasswordHasher = DEFAULT_HASHER


class NotAuthenticated(HTTPException):
    """No valid session cookie or bearer token (401)."""

    def __init__(self, detail: str = "sign in or send an API token") -> None:
        super().__init__(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


class PermissionDenied(HTTPException):
    """Authenticated, but the role does not have the permission (403)."""

    def __init__(self, detail: str) -> None:
        super().__init__(status.HTTP_403_FORBIDDEN, detail)


class CsrfError(PermissionDenied):
    """A cookie-authenticated unsafe request without the session's CSRF token (403)."""

    def __init__(self, detail: str = f"missing or wrong CSRF token (send header {CSRF_HEADER} "
                                     f"or form field {CSRF_FIELD})") -> None:
        super().__init__(detail)


_bearer = HTTPBearer(auto_error=False, scheme_name="token",
                     description="A personal API token (cdk_…) or the service token CRISISDESK_API_TOKEN.")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session",
                       description="Web session from POST /api/v1/auth/login (unsafe methods need "
                                   f"header {CSRF_HEADER}).")


def accounts_config(request: Request) -> AccountsConfig:
    config: AccountsConfig = request.app.state.accounts
    return config


def client_ip(request: Request) -> str:
    """The client's address as the server sees it (run uvicorn with --proxy-headers behind a proxy)."""
    return request.client.host if request.client else "unknown"


def _identify(config: AccountsConfig, bearer: str | None, cookie: str | None, ip: str) -> Principal | None:
    if bearer is not None:
        if config.service_token and hmac.compare_digest(bearer.encode(), config.service_token.encode()):
            return Principal(via="service", user=None, permissions=SERVICE_PERMISSIONS, ip=ip)
        with Session(config.engine) as session, session.begin():
            found = service.verify_token(session, bearer, clock=config.clock)
            if found is None:
                raise NotAuthenticated("unknown or revoked API token, or its user is disabled")
            user, token = found
            return Principal(via="token", user=UserRead.model_validate(user),
                             permissions=permissions_of(Role(user.role)), token_id=token.id, ip=ip)
    if cookie:
        with Session(config.engine) as session, session.begin():
            live = service.validate_web_session(session, cookie, clock=config.clock)
            if live is None:
                return None
            user, row = live
            return Principal(via="session", user=UserRead.model_validate(user),
                             permissions=permissions_of(Role(user.role)), csrf_token=row.csrf_token,
                             session_id=row.id, ip=ip)
    return None


async def _csrf_ok(request: Request, expected: str) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


async def optional_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal | None:
    """The principal, or None for an anonymous request. Checks CSRF on unsafe cookie requests."""
    config = accounts_config(request)
    principal = await run_in_threadpool(_identify, config, bearer.credentials.strip() if bearer else None,
                                        cookie, client_ip(request))
    if (principal is not None and principal.via == "session" and request.method in UNSAFE_METHODS
            and not await _csrf_ok(request, principal.csrf_token or "")):
        raise CsrfError()
    return principal


async def current_user(principal: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    """The principal; 401 when there is none."""
    if principal is None:
        raise NotAuthenticated()
    return principal


async def current_person(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
    """A signed-in user or a personal token; the shared service token is not a person (403)."""
    if principal.user is None:
        raise PermissionDenied("the service token is not a user; use a personal API token")
    return principal


@functools.cache
def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that yields the principal when it has ``permission``: 401 / 403 otherwise."""

    async def dependency(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
        if not principal.can(permission):
            raise PermissionDenied(f"your role may not do this (needs permission {permission.value!r})")
        return principal

    dependency.__name__ = f"require_{permission.value}"
    return dependency


OptionalUser = Annotated[Principal | None, Depends(optional_user)]
CurrentUser = Annotated[Principal, Depends(current_user)]
CurrentPerson = Annotated[Principal, Depends(current_person)]


# --- cookies and sign-in helpers for pages --------------------------------------------------------


def cookie_is_secure(request: Request, mode: CookieSecure) -> bool:
    if mode != "auto":
        return mode == "always"
    return not (request.url.scheme == "http" and (request.url.hostname or "") in LOCAL_HOSTS)


def set_session_cookie(request: Request, response: Response, issued: service.IssuedSession) -> None:
    response.set_cookie(SESSION_COOKIE, issued.cookie_value, max_age=issued.max_age, path="/",
                        httponly=True, samesite="lax",
                        secure=cookie_is_secure(request, accounts_config(request).cookie_secure))


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=cookie_is_secure(request, accounts_config(request).cookie_secure))


def check_origin(request: Request) -> None:
    """Refuse (CsrfError) a request whose ``Origin`` (or, lacking it, ``Referer``) names another
    host than ``Host`` or ``X-Forwarded-Host``: the defence for the sign-in form, which has no
    session and so no CSRF token yet. ``Origin: null`` is refused too: browsers send it from
    sandboxed frames and ``data:`` pages, which any site can use to post a login form. (A request
    without either header is not a browser's cross-site request, and is let through.)"""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is not None and origin.strip().lower() == "null":
        raise CsrfError("a request from an opaque origin (Origin: null) is refused")
    if not origin:
        return
    hosts = {(request.headers.get(h) or "").lower() for h in ("host", "x-forwarded-host")} - {""}
    if urlsplit(origin).netloc.lower() not in hosts:
        raise CsrfError("cross-site request refused")


def sign_in_request(request: Request, *, email: str, password: str) -> actions.SignedIn:
    """Check the password and open a session for this request's client (address, user agent).

    Blocking (argon2, database): call it from a sync route. Raises
    :class:`~crisisdesk.accounts.errors.InvalidCredentials` or
    :class:`~crisisdesk.accounts.errors.LoginThrottled` (``retry_after`` seconds).
    """
    config = accounts_config(request)
    return actions.sign_in(config.engine, email=email, password=password, ip=client_ip(request),
                           user_agent=request.headers.get("user-agent"), clock=config.clock,
                           hasher=config.hasher)


def sign_out_request(request: Request, response: Response) -> bool:
    """End the cookie's session (if any) and clear the cookie. Blocking: call from a sync route."""
    config = accounts_config(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    ended = False
    if cookie:
        with Session(config.engine) as session, session.begin():
            ended = actions.sign_out(session, cookie, clock=config.clock, ip=client_ip(request))
    clear_session_cookie(request, response)
    return ended
