"""Every endpoint × every role, through a personal token and through a browser session:
allowed → the endpoint's success status, not allowed → 403, anonymous → 401."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from crisisdesk.accounts.roles import ROLE_PERMISSIONS, Permission, Role
from tests.accounts.fixtures import PASSWORD, SERVICE_TOKEN, World
from tests.conftest import WORKSPACE_YAML
from tests.factories import post

PERSON = "person"  # any signed-in user or personal token, not the service token
ANYONE = "anyone"  # any authenticated principal, the service token included


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    needs: Permission | str
    ok: int
    body: Callable[[World, str], Any] | None = None  # (world, who) -> JSON body


def _new_user(_: World, who: str) -> dict[str, str]:
    return {"email": f"new-{who}@example.org", "name": "New", "role": "agent", "password": PASSWORD}


def _item_cases() -> list[Case]:
    """Each principal builds a chain (target ← person ← role ← policy), reads it and takes it down
    again in the order references allow; the item key is ``i-<who>`` (a policy's is its severity)."""
    base = "/api/v1/config/{kind}"
    notify, monitors = Permission.MANAGE_NOTIFICATIONS, Permission.MANAGE_MONITORS
    hook = {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "a-secret-of-16-chars"}
    kinds = {"targets": (notify, lambda w, who: hook),
             "people": (notify, lambda w, who: {"name": who, "targets": [f"i-{who}"]}),
             "roles": (notify, lambda w, who: [f"i-{who}"]),
             "policies": (notify, lambda w, who: {"steps": [{"notify": [f"role:i-{who}"]}]}),
             "monitors": (monitors, lambda w, who: {"query": f"word{len(who)}"}),
             "channels": (Permission.MANAGE_CHANNELS,
                          lambda w, who: {"platform": "rss", "url": "http://127.0.0.1:9/feed.xml"}),
             "rules": (Permission.MANAGE_RULES, lambda w, who: {"then": [{"tag": f"t-{who}"}]})}
    cases = [Case("PUT", base.format(kind=k) + "/{item}", need, 201, body)
             for k, (need, body) in kinds.items()]
    for k in kinds:
        reads = kinds[k][0] if k == "channels" else monitors  # channels: only who may change them
        cases += [Case("GET", base.format(kind=k), reads, 200),
                  Case("GET", base.format(kind=k) + "/{item}", reads, 200)]
    cases += [Case("DELETE", base.format(kind=k) + "/{item}", kinds[k][0], 200)
              for k in ("rules", "channels", "monitors", "policies", "roles", "people", "targets")]
    return cases


ITEM_CASES = _item_cases()

CASES = [
    Case("GET", "/api/v1/me", ANYONE, 200),
    Case("PATCH", "/api/v1/me", PERSON, 200, lambda w, who: {"lang": "de"}),
    Case("POST", "/api/v1/me/password", PERSON, 204,
         lambda w, who: {"current_password": PASSWORD, "new_password": PASSWORD}),
    Case("GET", "/api/v1/users", Permission.MANAGE_USERS, 200),
    Case("POST", "/api/v1/users", Permission.MANAGE_USERS, 201, _new_user),
    Case("GET", "/api/v1/users/{analyst}", Permission.MANAGE_USERS, 200),
    Case("PATCH", "/api/v1/users/{analyst}", Permission.MANAGE_USERS, 200, lambda w, who: {"name": who}),
    Case("GET", "/api/v1/tokens", PERSON, 200),
    Case("POST", "/api/v1/tokens", PERSON, 201, lambda w, who: {"name": f"by {who}"}),
    Case("DELETE", "/api/v1/tokens/{own_token}", PERSON, 200),
    Case("GET", "/api/v1/audit", Permission.VIEW_AUDIT, 200),
    Case("GET", "/api/v1/audit?format=csv", Permission.VIEW_AUDIT, 200),
    Case("GET", "/api/v1/audit?format=jsonl", Permission.VIEW_AUDIT, 200),
    Case("GET", "/api/v1/situations", Permission.VIEW, 200),
    Case("GET", "/api/v1/situations/{situation}", Permission.VIEW, 200),
    Case("POST", "/api/v1/situations/{situation}/ack", Permission.ACKNOWLEDGE, 200),
    # Each principal changes a situation of its own: a second severity change to the same level, or
    # resolving a resolved one, would be refused (409) whoever asks.
    Case("POST", "/api/v1/situations/{own_situation}/severity", Permission.CHANGE_SEVERITY, 200,
         lambda w, who: {"severity": 3, "reason": f"by {who}"}),
    Case("POST", "/api/v1/situations/{own_situation}/resolve", Permission.RESOLVE, 200,
         lambda w, who: {"reason": f"by {who}"}),
    Case("GET", "/api/v1/posts?q=bahn&limit=5", Permission.VIEW, 200),
    Case("GET", "/api/v1/posts/x/p0", Permission.VIEW, 200),
    Case("GET", "/api/v1/overview", Permission.VIEW, 200),
    Case("GET", "/api/v1/monitors", Permission.VIEW, 200),
    Case("GET", "/api/v1/monitors/bahn?range=7d", Permission.VIEW, 200),
    Case("GET", "/api/v1/monitors/bahn/series", Permission.VIEW, 200),
    Case("POST", "/api/v1/posts", Permission.INGEST, 200, lambda w, who: post(1)),
    Case("POST", "/api/v1/posts/x/p0/labels", Permission.LABEL_POSTS, 200,
         lambda w, who: {"sentiment": "negative"}),
    Case("GET", "/api/v1/config", Permission.MANAGE_MONITORS, 200),
    Case("PUT", "/api/v1/config", Permission.MANAGE_NOTIFICATIONS, 200,
         lambda w, who: {"text": WORKSPACE_YAML, "note": f"by {who}"}),
    Case("POST", "/api/v1/queries/check", Permission.VIEW, 200, lambda w, who: {"query": "bahn AND ("}),
    # One correction in the world: too few to judge, so the retrain is answered at once (202).
    Case("POST", "/api/v1/analysis/retrain", Permission.MANAGE_ANALYSIS, 202,
         lambda w, who: {"dry_run": True}),
    Case("GET", "/api/v1/analysis/retrain", Permission.MANAGE_MONITORS, 200),
    # The world has no channels: whoever may reply learns that (404), the others are refused first.
    Case("POST", "/api/v1/outbox", Permission.REPLY, 404,
         lambda w, who: {"channel": "none", "action": "reply_public", "idempotency_key": f"key-{who}",
                         "text": "Danke"}),
    Case("POST", "/api/v1/outbox", Permission.MODERATE, 404,
         lambda w, who: {"channel": "none", "action": "hide", "idempotency_key": f"key-{who}-hide",
                         "target": "c1"}),
    Case("GET", "/api/v1/outbox", Permission.VIEW, 200),
    Case("GET", "/api/v1/conversations", Permission.VIEW, 200),
    # The world has no conversations: whoever may read or act learns that (404).
    Case("GET", "/api/v1/conversations/{conversation}", Permission.VIEW, 404),
    Case("PUT", "/api/v1/conversations/{conversation}/presence", Permission.VIEW, 404, lambda w, who: {}),
    Case("POST", "/api/v1/conversations/{conversation}/messages", Permission.REPLY, 404,
         lambda w, who: {"text": "Danke"}),
    Case("PATCH", "/api/v1/conversations/{conversation}", Permission.REPLY, 404,
         lambda w, who: {"priority": "high"}),
    Case("POST", "/api/v1/conversations/{conversation}/notes", Permission.REPLY, 404,
         lambda w, who: {"text": "Notiz"}),
    Case("GET", "/api/v1/contacts/{contact}", Permission.VIEW, 404),
    Case("POST", "/api/v1/contacts/{contact}/merge", Permission.REPLY, 404,
         lambda w, who: {"other": 999_998}),
    Case("POST", "/api/v1/contacts/{contact}/unmerge", Permission.REPLY, 409,
         lambda w, who: {"other": 999_998}),
    Case("GET", "/api/v1/inbox/rules", Permission.MANAGE_RULES, 200),
    Case("GET", "/api/v1/inbox/saved-replies", Permission.VIEW, 200),
    Case("GET", "/api/v1/inbox/performance", Permission.VIEW, 200),
    Case("GET", "/api/v1/moderation/reviews", Permission.MODERATE, 200),
    Case("POST", "/api/v1/moderation/reviews/{review}", Permission.MODERATE, 404,
         lambda w, who: {"decision": "confirm"}),
    Case("POST", "/api/v1/replies/check", Permission.REPLY, 200,
         lambda w, who: {"text": "Das liegt am Paketdienst.", "lang": "de"}),
    Case("POST", "/api/v1/inbox/rules/dry-run", Permission.MANAGE_RULES, 200,
         lambda w, who: {"rule": {"name": "try", "when": {"query": "bahn"}, "then": [{"tag": "bahn"}]}}),
    # x/p0 came in over the API, not a channel: whoever may moderate learns that (422).
    Case("POST", "/api/v1/posts/x/p0/moderation", Permission.MODERATE, 422,
         lambda w, who: {"action": "hide"}),
    Case("GET", "/api/v1/crises", Permission.VIEW, 200),
    Case("GET", "/api/v1/crises/{crisis}", Permission.VIEW, 404),
    Case("GET", "/api/v1/crises/{crisis}/review", Permission.VIEW, 404),
    Case("GET", "/api/v1/crises/{crisis}/review/export", Permission.VIEW, 404),
    Case("PUT", "/api/v1/crises/{crisis}/review/notes", Permission.CHANGE_SEVERITY, 404,
         lambda w, who: {"strengths": "fast"}),
    Case("POST", "/api/v1/crises/{crisis}/review/actions", Permission.CHANGE_SEVERITY, 404,
         lambda w, who: {"title": "t", "owner": "role:crisis_lead", "due_at": "2026-12-31T00:00:00Z"}),
    Case("POST", "/api/v1/crises/{crisis}/review/actions/{task}", Permission.ACKNOWLEDGE, 404,
         lambda w, who: {"done": True}),
    Case("GET", "/api/v1/analytics?from=2026-11-01&to=2026-11-30", Permission.VIEW, 200),
    Case("GET", "/api/v1/analytics.csv?from=2026-11-01&to=2026-11-30", Permission.VIEW, 200),
    Case("POST", "/api/v1/crises/{crisis}/review/questionnaire", Permission.CHANGE_SEVERITY, 404),
    Case("PUT", "/api/v1/crises/{crisis}/review/questionnaire/answer", PERSON, 404,
         lambda w, who: {"went_well": "fast"}),
    Case("GET", "/api/v1/crises/{crisis}/updates", Permission.VIEW, 404),
    Case("PUT", "/api/v1/crises/{crisis}/updates/plan", Permission.CHANGE_SEVERITY, 404,
         lambda w, who: {"audiences": [{"audience": "customers", "channels": ["status_page"]}]}),
    Case("POST", "/api/v1/crises/{crisis}/updates", Permission.REPLY, 404,
         lambda w, who: {"audience": "customers", "lang": "de"}),
    Case("PATCH", "/api/v1/crises/{crisis}/updates/{task}", Permission.REPLY, 404,
         lambda w, who: {"title": "Neu"}),
    Case("POST", "/api/v1/crises/{crisis}/updates/{task}/submit", Permission.REPLY, 404),
    Case("POST", "/api/v1/crises/{crisis}/updates/{task}/approve", Permission.APPROVE_REPLIES, 404),
    Case("POST", "/api/v1/crises/{crisis}/updates/{task}/reject", Permission.APPROVE_REPLIES, 404,
         lambda w, who: {"comment": "no"}),
    Case("POST", "/api/v1/crises/{crisis}/updates/{task}/publish", Permission.REPLY, 404),
    Case("GET", "/api/v1/crises/{crisis}/updates/{task}/press-release", Permission.VIEW, 404),
    Case("POST", "/api/v1/crises", Permission.CHANGE_SEVERITY, 404, lambda w, who: {"situation_id": 999_999}),
    Case("POST", "/api/v1/crises/{crisis}/situations", Permission.CHANGE_SEVERITY, 404,
         lambda w, who: {"situation_id": 999_998}),
    Case("POST", "/api/v1/crises/{crisis}/merge", Permission.CHANGE_SEVERITY, 404,
         lambda w, who: {"into": 999_998}),
    Case("POST", "/api/v1/crises/{crisis}/type", Permission.CHANGE_SEVERITY, 404,
         lambda w, who: {"type": "product_defect"}),
    Case("POST", "/api/v1/crises/{crisis}/resolve", Permission.CHANGE_SEVERITY, 404, lambda w, who: {}),
    Case("POST", "/api/v1/crises/{crisis}/tasks/{task}", Permission.ACKNOWLEDGE, 404,
         lambda w, who: {"done": True}),
    Case("GET", "/api/v1/crisis-mode", Permission.VIEW, 200),
    Case("POST", "/api/v1/crises/{crisis}/mode", Permission.CHANGE_SEVERITY, 404,
         lambda w, who: {"on": True}),
    # Nobody switched the workspace-wide mode on: whoever may switch learns that (409).
    Case("POST", "/api/v1/crisis-mode", Permission.CHANGE_SEVERITY, 409, lambda w, who: {"on": False}),
    Case("POST", "/api/v1/attachments", Permission.REPLY, 422),  # no file: refused after the permission
    Case("GET", "/api/v1/attachments/{attachment}", Permission.VIEW, 404),
    Case("GET", "/api/v1/attachments/{attachment}/content", Permission.VIEW, 404),
    Case("GET", "/api/v1/outbox/{outbox_item}", Permission.VIEW, 404),
    Case("POST", "/api/v1/outbox/{outbox_item}/retry", Permission.VIEW, 404),
    Case("GET", "/api/v1/approvals", Permission.APPROVE_REPLIES, 200),
    # No held reply 999999: whoever may approve learns that (404), the others are refused first.
    Case("POST", "/api/v1/approvals/{outbox_item}/approve", Permission.APPROVE_REPLIES, 404,
         lambda w, who: {"text": "Es tut uns leid."}),
    Case("POST", "/api/v1/approvals/{outbox_item}/reject", Permission.APPROVE_REPLIES, 404,
         lambda w, who: {"comment": "Bitte ohne Ausrede."}),
    *ITEM_CASES,
    Case("POST", "/api/v1/auth/logout", ANYONE, 204),  # last: it ends the session
]

WHO = [*(r.value for r in Role), "service", "anonymous"]


def allowed(case: Case, who: str) -> bool:
    if who == "anonymous":
        return False
    if case.needs == ANYONE:
        return True
    if who == "service":
        return case.needs in (Permission.INGEST, Permission.LABEL_POSTS)
    if case.needs == PERSON:
        return True
    return Permission(case.needs) in ROLE_PERMISSIONS[Role(who)]


def test_every_endpoint_is_in_the_table(world: World) -> None:
    """A new /api/v1 endpoint must be added to CASES (or to PUBLIC) to be released."""
    public = {("POST", "/api/v1/auth/login")}
    spec = world.client.get("/openapi.json").json()["paths"]
    routes = {(m.upper(), p) for p, ops in spec.items() for m in ops if p.startswith("/api/")}
    templated = {
        (m, p.replace("{user_id}", "{analyst}").replace("{token_id}", "{own_token}")
         .replace("{situation_id}/severity", "{own_situation}/severity")
         .replace("{situation_id}/resolve", "{own_situation}/resolve")
         .replace("{situation_id}", "{situation}").replace("{platform}/{post_id}", "x/p0")
         .replace("{platform}/{external_id}", "x/p0").replace("{name}", "bahn").replace("{key}", "{item}")
         .replace("{item_id}", "{outbox_item}").replace("{conversation_id}", "{conversation}")
         .replace("{contact_id}", "{contact}").replace("{review_id}", "{review}")
         .replace("{crisis_id}", "{crisis}").replace("{attachment_id}", "{attachment}")
         .replace("{task_id}", "{task}").replace("{action_id}", "{task}")
         .replace("{update_id}", "{task}"))
        for m, p in routes}
    assert templated - public == {(c.method, c.path.split("?")[0]) for c in CASES}


def _run(world: World, who: str, client: TestClient, headers: dict[str, str]) -> list[str]:
    # Each principal revokes a token of its own, made for the purpose.
    own_token = world.add_token(Role(who), "to revoke")[0] if who in {r.value for r in Role} else 999
    own_situation = world.add_situation()
    problems = []
    for case in CASES:
        path = case.path.format(analyst=world.user_ids[Role.ANALYST], own_token=own_token,
                                situation=world.situation_id, own_situation=own_situation,
                                outbox_item=999_999, conversation=999_999, contact=999_999,
                                review=999_999, crisis=999_999, attachment=999_999, task=999_999,
                                item="4" if "/policies/" in case.path else f"i-{who}")
        kwargs: dict[str, Any] = {"headers": headers}
        if case.body is not None:
            kwargs["json"] = case.body(world, who)
        r = client.request(case.method, path, **kwargs)
        expected = (case.ok if allowed(case, who) else 401 if who == "anonymous" else 403)
        if r.status_code != expected:
            problems.append(f"{who} {case.method} {path}: {r.status_code} (expected {expected}) "
                            f"{r.text[:120]}")
    return problems


def test_permissions_with_tokens(world: World) -> None:
    world.client.post("/api/v1/posts", json=post(0), headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    problems = []
    for who in WHO:
        headers = (world.bearer(Role(who)) if who in {r.value for r in Role}
                   else {"Authorization": f"Bearer {SERVICE_TOKEN}"} if who == "service" else {})
        problems += _run(world, who, world.client, headers)
    assert problems == []


def test_permissions_with_sessions(world: World) -> None:
    world.client.post("/api/v1/posts", json=post(0), headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    problems = []
    for role in Role:
        client, csrf = world.session_client(role)
        problems += _run(world, role.value, client, csrf)
        # After logout (the last case), the same browser is anonymous again.
        assert client.get("/api/v1/me").status_code == 401
    assert problems == []


def test_a_role_change_applies_to_the_next_request(world: World) -> None:
    headers = world.bearer(Role.ANALYST)
    assert world.client.get("/api/v1/users", headers=headers).status_code == 403
    r = world.client.patch(f"/api/v1/users/{world.user_ids[Role.ANALYST]}", json={"role": "admin"},
                           headers=world.bearer(Role.ADMIN))
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert world.client.get("/api/v1/users", headers=headers).status_code == 200
