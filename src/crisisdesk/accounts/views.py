"""Accounts over HTTP: sign in and out, me, users (admins) and API tokens.

Thin on purpose: identification and permission checks are dependencies (:mod:`.deps`), every
change is an action in :mod:`.actions` that writes its audit entry in the same transaction.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response, status
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.accounts import actions, service
from crisisdesk.accounts.deps import (
    AccountsConfig,
    CurrentPerson,
    CurrentUser,
    accounts_config,
    check_origin,
    client_ip,
    require,
    set_session_cookie,
    sign_in_request,
    sign_out_request,
)
from crisisdesk.accounts.errors import (
    AccountError,
    DuplicateEmail,
    InvalidCredentials,
    LastAdminError,
    LoginThrottled,
    PasswordPolicyError,
    UserNotFound,
)
from crisisdesk.accounts.models import ApiToken
from crisisdesk.accounts.passwords import verify_password
from crisisdesk.accounts.roles import Permission, permissions_of
from crisisdesk.accounts.schemas import (
    LoginIn,
    MeRead,
    MeUpdate,
    PasswordChange,
    Principal,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from crisisdesk.api.responses import errors
from crisisdesk.core.clock import Clock
from crisisdesk.core.fields import Id
from crisisdesk.settings import Settings

ManageUsers = Annotated[Principal, Depends(require(Permission.MANAGE_USERS))]


def http_error(exc: AccountError) -> HTTPException:
    """The status code an account error means over HTTP."""
    code = {
        UserNotFound: status.HTTP_404_NOT_FOUND,
        DuplicateEmail: status.HTTP_409_CONFLICT,
        LastAdminError: status.HTTP_409_CONFLICT,
        PasswordPolicyError: status.HTTP_422_UNPROCESSABLE_CONTENT,
        InvalidCredentials: status.HTTP_401_UNAUTHORIZED,
    }.get(type(exc), status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, LoginThrottled):
        return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc),
                             headers={"Retry-After": str(exc.retry_after)})
    return HTTPException(code, str(exc))


def _me(principal: Principal) -> MeRead:
    return MeRead(user=principal.user, via=principal.via, permissions=sorted(principal.permissions),
                  csrf_token=principal.csrf_token)


def accounts_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["accounts"])

    def db(request: Request) -> tuple[Engine, Clock]:
        config = accounts_config(request)
        return config.engine, config.clock

    @router.post("/auth/login", response_model=MeRead, summary="Sign in; sets the session cookie",
                 responses=errors(401, 403, 429))
    def login(request: Request, response: Response, body: LoginIn) -> MeRead:
        """Answers the user, their permissions and the CSRF token to send with every unsafe request.
        401: wrong address or password (or a disabled account); 429 with Retry-After: too many
        failures for this address from this client."""
        check_origin(request)
        try:
            signed = sign_in_request(request, email=body.email, password=body.password)
        except AccountError as exc:
            raise http_error(exc) from exc
        set_session_cookie(request, response, signed.session)
        user = signed.user
        return MeRead(user=user, via="session", permissions=sorted(permissions_of(user.role)),
                      csrf_token=signed.session.csrf_token)

    @router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
    def logout(request: Request, principal: CurrentUser) -> Response:
        response = Response(status_code=status.HTTP_204_NO_CONTENT)
        if principal.via == "session":
            sign_out_request(request, response)
        return response

    @router.get("/me", response_model=MeRead, summary="Who am I, what may I do, my CSRF token")
    def me(principal: CurrentUser) -> MeRead:
        return _me(principal)

    @router.patch("/me", response_model=UserRead, summary="Change my name or language")
    def update_me(request: Request, principal: CurrentPerson, body: MeUpdate) -> UserRead:
        engine, clock = db(request)
        assert principal.user is not None
        changes = UserUpdate.model_validate(body.model_dump(exclude_unset=True))
        with Session(engine) as session, session.begin():
            user = service.get_user(session, principal.user.id)
            actions.update_user(session, user, changes, actor=principal.actor, clock=clock,
                                ip=client_ip(request))
            return UserRead.model_validate(user)

    @router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT,
                 summary="Change my password (ends my other sessions)", responses=errors(400, 429))
    def change_password(request: Request, principal: CurrentPerson, body: PasswordChange) -> None:
        config = accounts_config(request)
        assert principal.user is not None
        ip = client_ip(request)
        with Session(config.engine) as session, session.begin():
            user = service.get_user(session, principal.user.id)
            wait = service.throttle_wait(session, email=user.email, ip=ip, clock=config.clock)
            if wait:
                raise http_error(LoginThrottled(wait))
            wrong = not verify_password(user.password_hash, body.current_password, hasher=config.hasher).ok
            if wrong:
                service.record_failure(session, email=user.email, ip=ip, clock=config.clock)
            else:
                try:
                    actions.set_password(session, user, body.new_password, actor=principal.actor,
                                         clock=config.clock, ip=ip, keep_session=principal.session_id,
                                         hasher=config.hasher)
                except AccountError as exc:
                    raise http_error(exc) from exc
        if wrong:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "the current password is wrong")

    # --- users (admins) -------------------------------------------------------------------------

    @router.get("/users", response_model=list[UserRead], summary="All users")
    def list_users(request: Request, _: ManageUsers) -> list[UserRead]:
        engine, _clock = db(request)
        with Session(engine) as session:
            return [UserRead.model_validate(u) for u in service.list_users(session)]

    @router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED,
                 summary="Add a user", responses=errors(409))
    def create_user(request: Request, principal: ManageUsers, body: UserCreate) -> UserRead:
        config = accounts_config(request)
        try:
            with Session(config.engine) as session, session.begin():
                user = actions.create_user(session, email=body.email, name=body.name, role=body.role,
                                           password=body.password, lang=body.lang, actor=principal.actor,
                                           clock=config.clock, ip=client_ip(request), hasher=config.hasher)
                return UserRead.model_validate(user)
        except AccountError as exc:
            raise http_error(exc) from exc

    @router.get("/users/{user_id}", response_model=UserRead, summary="One user", responses=errors(404))
    def get_user(request: Request, user_id: Id, _: ManageUsers) -> UserRead:
        engine, _clock = db(request)
        try:
            with Session(engine) as session:
                return UserRead.model_validate(service.get_user(session, user_id))
        except AccountError as exc:
            raise http_error(exc) from exc

    @router.patch("/users/{user_id}", response_model=UserRead,
                  summary="Change a user's name, role, language, password or active flag",
                  responses=errors(404, 409))
    def update_user(request: Request, user_id: Id, principal: ManageUsers, body: UserUpdate) -> UserRead:
        """``active: false`` disables the account: its sessions end and its API tokens are revoked.
        409: the change would leave no active admin."""
        config = accounts_config(request)
        try:
            with Session(config.engine) as session, session.begin():
                user = service.get_user(session, user_id)
                actions.update_user(session, user, body, actor=principal.actor, clock=config.clock,
                                    ip=client_ip(request), hasher=config.hasher)
                return UserRead.model_validate(user)
        except AccountError as exc:
            raise http_error(exc) from exc

    # --- API tokens -----------------------------------------------------------------------------

    @router.get("/tokens", response_model=list[TokenRead], summary="API tokens (mine; admins: anyone's)")
    def list_tokens(request: Request, principal: CurrentPerson,
                    user_id: Annotated[Id | None, Query(description="Admins: this user's tokens")] = None,
                    all_users: Annotated[bool, Query(alias="all", description="Admins: everyone's")] = False,
                    ) -> list[TokenRead]:
        assert principal.user is not None
        if (user_id not in (None, principal.user.id) or all_users) and not principal.can(
                Permission.MANAGE_USERS):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins see other users' tokens")
        owner = None if all_users else (user_id or principal.user.id)
        engine, _clock = db(request)
        with Session(engine) as session:
            return [TokenRead.model_validate(t) for t in service.list_tokens(session, user_id=owner)]

    @router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED,
                 summary="Create an API token (the secret is shown once)", responses=errors(404))
    def create_token(request: Request, principal: CurrentPerson, body: TokenCreate) -> TokenCreated:
        assert principal.user is not None
        owner = body.user_id or principal.user.id
        if owner != principal.user.id and not principal.can(Permission.MANAGE_USERS):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins create tokens for others")
        config = accounts_config(request)
        try:
            with Session(config.engine) as session, session.begin():
                user = service.get_user(session, owner)
                return actions.create_token(session, user, body.name, actor=principal.actor,
                                            clock=config.clock, ip=client_ip(request))
        except AccountError as exc:
            raise http_error(exc) from exc

    @router.delete("/tokens/{token_id}", response_model=TokenRead, summary="Revoke an API token",
                   responses=errors(404))
    def revoke_token(request: Request, token_id: Id, principal: CurrentPerson) -> TokenRead:
        assert principal.user is not None
        config = accounts_config(request)
        with Session(config.engine) as session, session.begin():
            token = session.get(ApiToken, token_id)
            mine = token is not None and token.user_id == principal.user.id
            if token is None or not (mine or principal.can(Permission.MANAGE_USERS)):
                # Someone else's token id is as unknown to you as a missing one.
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no token {token_id}")
            actions.revoke_token(session, token, actor=principal.actor, clock=config.clock,
                                 ip=client_ip(request))
            return TokenRead.model_validate(token)

    return router


def install_accounts(app: FastAPI, *, engine: Engine, settings: Settings, service_token: str | None,
                     clock: Clock | None = None) -> AccountsConfig:
    """Wire accounts and the audit log into an app: config on ``app.state.accounts``, routers."""
    from crisisdesk.audit.views import audit_router

    config = AccountsConfig(engine=engine, service_token=service_token, cookie_secure=settings.cookie_secure)
    if clock is not None:
        config.clock = clock
    app.state.accounts = config
    app.include_router(accounts_router())
    app.include_router(audit_router())
    return config
