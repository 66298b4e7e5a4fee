"""Sign-in over HTTP: cookie flags, CSRF, throttling, /me, users and tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import CSRF_HEADER, SESSION_COOKIE
from crisisdesk.accounts.models import User
from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from tests.accounts.fixtures import PASSWORD, World, email_of, rows


def test_login_sets_a_hardened_cookie_and_answers_the_csrf_token(world: World) -> None:
    r = world.client.post("/api/v1/auth/login", json={"email": "AGENT@example.org", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["email"] == "agent@example.org" and body["user"]["role"] == "agent"
    assert body["via"] == "session" and "reply" in body["permissions"] and len(body["csrf_token"]) > 30
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for flag in ("HttpOnly", "SameSite=lax", "Path=/", "Max-Age=604800"):
        assert flag in cookie
    assert "Secure" not in cookie  # plain http to localhost: development
    me = world.client.get("/api/v1/me").json()
    assert me["user"]["email"] == "agent@example.org" and me["csrf_token"] == body["csrf_token"]
    with Session(world.engine) as s:
        user = s.scalars(select(User).where(User.email == "agent@example.org")).one()
        assert user.last_login_at == world.clock.now()
    logins = rows(world, AuditEntry, AuditEntry.action == "auth.login")
    assert [e.actor for e in logins] == ["agent@example.org"]


def test_cookie_is_secure_off_localhost(world: World) -> None:
    for base, secure in (("http://crisis.example.org", True), ("https://localhost", True),
                         ("http://127.0.0.1:8000", False)):
        client = TestClient(world.client.app, base_url=base)
        r = client.post("/api/v1/auth/login", json={"email": email_of(Role.AGENT), "password": PASSWORD})
        assert ("Secure" in r.headers["set-cookie"]) is secure, base
    world.config.cookie_secure = "always"
    r = world.client.post("/api/v1/auth/login", json={"email": email_of(Role.AGENT), "password": PASSWORD})
    assert "Secure" in r.headers["set-cookie"]


def test_wrong_password_then_throttled_with_retry_after(world: World) -> None:
    creds = {"email": email_of(Role.AGENT), "password": "not the password"}
    for _ in range(5):
        r = world.client.post("/api/v1/auth/login", json=creds)
        assert r.status_code == 401 and r.json()["detail"] == "wrong e-mail address or password"
    world.clock.advance(minutes=5)
    r = world.client.post("/api/v1/auth/login", json={**creds, "password": PASSWORD})
    assert r.status_code == 429
    assert r.headers["retry-after"] == "600" and "600 seconds" in r.json()["detail"]
    world.clock.advance(minutes=10)
    assert world.client.post("/api/v1/auth/login", json={**creds, "password": PASSWORD}).status_code == 200


def test_cross_site_login_is_refused(world: World) -> None:
    r = world.client.post("/api/v1/auth/login", json={"email": email_of(Role.AGENT), "password": PASSWORD},
                          headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = world.client.post("/api/v1/auth/login", json={"email": email_of(Role.AGENT), "password": PASSWORD},
                          headers={"Origin": "http://localhost"})
    assert r.status_code == 200


@pytest.mark.parametrize("origin", ["null", "NULL"])
def test_login_from_an_opaque_origin_is_refused(world: World, origin: str) -> None:
    """Sandboxed frames and data: pages send ``Origin: null``: any site can post from one."""
    creds = {"email": email_of(Role.AGENT), "password": PASSWORD}
    r = world.client.post("/api/v1/auth/login", json=creds, headers={"Origin": origin})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    form = TestClient(world.client.app, base_url="http://localhost")
    r = form.post("/login", data={**creds, "next": "/"}, headers={"Origin": origin}, follow_redirects=False)
    assert r.status_code == 403 and "set-cookie" not in r.headers
    # the same login without the opaque origin works, so the refusal is about the header
    r = form.post("/login", data={**creds, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303


def test_csrf_on_cookie_requests(world: World) -> None:
    csrf = world.login(email_of(Role.AGENT))
    body = {"name": "from the browser"}
    missing = world.client.post("/api/v1/tokens", json=body)
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = world.client.post("/api/v1/tokens", json=body, headers={CSRF_HEADER: csrf[:-1] + "x"})
    assert wrong.status_code == 403
    assert world.client.patch("/api/v1/me", json={"lang": "de"}).status_code == 403
    assert world.client.delete("/api/v1/tokens/1").status_code == 403
    right = world.client.post("/api/v1/tokens", json=body, headers={CSRF_HEADER: csrf})
    assert right.status_code == 201
    # Safe methods need no token.
    assert world.client.get("/api/v1/tokens").status_code == 200
    # A form post may carry it in the csrf_token field instead.
    assert world.client.post("/api/v1/auth/logout", data={"csrf_token": "nope"}).status_code == 403
    assert world.client.post("/api/v1/auth/logout", data={"csrf_token": csrf}).status_code == 204
    assert world.client.get("/api/v1/me").status_code == 401


def test_bearer_requests_are_exempt_from_csrf(world: World) -> None:
    world.login(email_of(Role.AGENT))  # a cookie is present too, but the bearer header wins
    r = world.client.post("/api/v1/tokens", json={"name": "script"}, headers=world.bearer(Role.ANALYST))
    assert r.status_code == 201 and r.json()["token"]["user_id"] == world.user_ids[Role.ANALYST]


def test_bad_bearer_is_401_not_the_cookie(world: World) -> None:
    world.login(email_of(Role.ADMIN))
    r = world.client.get("/api/v1/me", headers={"Authorization": "Bearer cdk_nonsense"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_logout_ends_the_session_server_side(world: World) -> None:
    csrf = world.login(email_of(Role.AGENT))
    cookie = world.client.cookies[SESSION_COOKIE]
    assert world.client.post("/api/v1/auth/logout", headers={CSRF_HEADER: csrf}).status_code == 204
    replay = TestClient(world.client.app, base_url="http://localhost", cookies={SESSION_COOKIE: cookie})
    assert replay.get("/api/v1/me").status_code == 401


def test_session_expires_after_idle_time(world: World) -> None:
    world.login(email_of(Role.AGENT))
    world.clock.advance(hours=11)
    assert world.client.get("/api/v1/me").status_code == 200
    world.clock.advance(hours=11)
    assert world.client.get("/api/v1/me").status_code == 200  # slid forward
    world.clock.advance(hours=12, seconds=1)
    assert world.client.get("/api/v1/me").status_code == 401


def test_disabling_a_user_ends_their_sessions_and_tokens(world: World) -> None:
    browser, _csrf = world.session_client(Role.AGENT)
    headers = world.bearer(Role.AGENT)
    assert browser.get("/api/v1/me").status_code == 200
    assert world.client.get("/api/v1/me", headers=headers).status_code == 200
    r = world.client.patch(f"/api/v1/users/{world.user_ids[Role.AGENT]}", json={"active": False},
                           headers=world.bearer(Role.ADMIN))
    assert r.status_code == 200 and r.json()["active"] is False
    assert browser.get("/api/v1/me").status_code == 401
    assert world.client.get("/api/v1/me", headers=headers).status_code == 401
    r = world.client.post("/api/v1/auth/login", json={"email": email_of(Role.AGENT), "password": PASSWORD})
    assert r.status_code == 401
    tokens = world.client.get(f"/api/v1/tokens?user_id={world.user_ids[Role.AGENT]}",
                              headers=world.bearer(Role.ADMIN)).json()
    assert tokens and all(t["revoked_at"] for t in tokens)


def test_users_crud_errors(world: World) -> None:
    admin = world.bearer(Role.ADMIN)
    new = {"email": "Neu@Example.org", "name": "Neu", "role": "spokesperson", "password": PASSWORD,
           "lang": "de"}
    r = world.client.post("/api/v1/users", json=new, headers=admin)
    assert r.status_code == 201 and r.json()["email"] == "neu@example.org" and r.json()["lang"] == "de"
    assert "password" not in r.text
    assert world.client.post("/api/v1/users", json=new, headers=admin).status_code == 409
    short = world.client.post("/api/v1/users", json={**new, "email": "x@example.org", "password": "short"},
                              headers=admin)
    assert short.status_code == 422 and "at least 12" in short.json()["detail"]
    bad = world.client.post("/api/v1/users", json={**new, "email": "not-an-address"}, headers=admin)
    assert bad.status_code == 422
    assert world.client.post("/api/v1/users", json={**new, "role": "boss"}, headers=admin).status_code == 422
    assert world.client.get("/api/v1/users/99999", headers=admin).status_code == 404
    # The only admin cannot demote or disable themselves.
    me = world.user_ids[Role.ADMIN]
    assert world.client.patch(f"/api/v1/users/{me}", json={"role": "agent"}, headers=admin).status_code == 409
    assert world.client.patch(f"/api/v1/users/{me}", json={"active": False}, headers=admin).status_code == 409
    listed = world.client.get("/api/v1/users", headers=admin).json()
    assert [u["email"] for u in listed] == sorted(u["email"] for u in listed)


def test_patch_user_records_before_and_after(world: World) -> None:
    target = world.user_ids[Role.ANALYST]
    r = world.client.patch(f"/api/v1/users/{target}", json={"role": "agent", "lang": "en", "name": "Ana"},
                           headers=world.bearer(Role.ADMIN))
    assert r.status_code == 200
    [entry] = rows(world, AuditEntry, AuditEntry.action == "user.updated")
    assert entry.actor == email_of(Role.ADMIN) and entry.actor_user_id == world.user_ids[Role.ADMIN]
    assert entry.target_type == "user" and entry.target_id == str(target)
    assert entry.before == {"name": "Analyst", "role": "analyst", "lang": None}
    assert entry.after == {"name": "Ana", "role": "agent", "lang": "en"}
    assert entry.ip == "testclient"
    # A PATCH that changes nothing writes nothing.
    world.client.patch(f"/api/v1/users/{target}", json={"role": "agent"}, headers=world.bearer(Role.ADMIN))
    assert len(rows(world, AuditEntry, AuditEntry.action == "user.updated")) == 1


def test_tokens_own_and_admin(world: World) -> None:
    agent, admin = world.bearer(Role.AGENT), world.bearer(Role.ADMIN)
    created = world.client.post("/api/v1/tokens", json={"name": "export"}, headers=agent).json()
    secret = created["secret"]
    assert world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listed = world.client.get("/api/v1/tokens", headers=agent).json()
    assert {t["name"] for t in listed} == {"script", "export"} and "secret" not in listed[0]
    # Others' tokens: invisible to non-admins, manageable by admins.
    analyst_id = world.user_ids[Role.ANALYST]
    assert world.client.get(f"/api/v1/tokens?user_id={analyst_id}", headers=agent).status_code == 403
    assert world.client.get("/api/v1/tokens?all=true", headers=agent).status_code == 403
    assert world.client.post("/api/v1/tokens", json={"name": "x", "user_id": analyst_id},
                             headers=agent).status_code == 403
    assert world.client.delete(f"/api/v1/tokens/{created['token']['id']}",
                               headers=world.bearer(Role.ANALYST)).status_code == 404
    everyone = world.client.get("/api/v1/tokens?all=true", headers=admin).json()
    assert len(everyone) == len(Role) + 1
    r = world.client.post("/api/v1/tokens", json={"name": "for ana", "user_id": analyst_id}, headers=admin)
    assert r.status_code == 201 and r.json()["token"]["user_id"] == analyst_id
    revoked = world.client.delete(f"/api/v1/tokens/{created['token']['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert world.client.delete("/api/v1/tokens/99999", headers=admin).status_code == 404


def test_change_my_password(world: World) -> None:
    other_browser, _ = world.session_client(Role.AGENT)
    csrf = world.login(email_of(Role.AGENT))
    wrong = world.client.post("/api/v1/me/password", json={"current_password": "nope nope nope",
                                                           "new_password": "a brand new passphrase"},
                              headers={CSRF_HEADER: csrf})
    assert wrong.status_code == 400
    short = world.client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "x"},
                              headers={CSRF_HEADER: csrf})
    assert short.status_code == 422
    ok = world.client.post("/api/v1/me/password", json={"current_password": PASSWORD,
                                                        "new_password": "a brand new passphrase"},
                           headers={CSRF_HEADER: csrf})
    assert ok.status_code == 204
    assert world.client.get("/api/v1/me").status_code == 200  # this session stays
    assert other_browser.get("/api/v1/me").status_code == 401  # the others end
    world.login(email_of(Role.AGENT), "a brand new passphrase")
    [entry] = rows(world, AuditEntry, AuditEntry.action == "user.password_changed")
    assert "hash" not in str(entry.after) and PASSWORD not in str(entry.after)


def test_service_token_is_not_a_person(world: World) -> None:
    service = {"Authorization": "Bearer service-token-for-tests"}
    me = world.client.get("/api/v1/me", headers=service).json()
    assert me == {"user": None, "via": "service", "permissions": ["ingest", "label_posts"],
                  "csrf_token": None}
    assert world.client.get("/api/v1/tokens", headers=service).status_code == 403
    assert world.client.get("/api/v1/situations", headers=service).status_code == 403
