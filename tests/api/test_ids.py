"""Ids past what the database holds: a clear 422 (or 404), never a 500, on every route.

The walk covers every route with an integer path or query parameter, pages included, so a route
added later is checked without being listed here.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from crisisdesk.accounts.roles import Role
from tests.accounts.fixtures import World
from tests.api.routes import api_routes, takes_int

HUGE = str(2**64)


def _url(path: str, params: dict[str, object], value: str) -> str:
    for name, annotation in params.items():
        path = path.replace("{" + name + "}", value if takes_int(annotation) else "x")
    return path


def test_ids_past_64_bits_are_refused_on_every_route(world: World) -> None:
    routes = [r for r in api_routes(world.client.app)  # type: ignore[arg-type]
              if any(takes_int(a) for a in (*r.path_params.values(), *r.query_params.values()))]
    assert len({r.path for r in routes}) >= 10  # the walk found the routes (not an empty loop)
    admin = world.bearer(Role.ADMIN)
    client = TestClient(world.client.app, base_url="http://localhost", raise_server_exceptions=False)
    answers = {}
    for route in routes:
        if any(takes_int(a) for a in route.path_params.values()):
            r = client.request(route.method, _url(route.path, route.path_params, HUGE), headers=admin)
            answers[f"{route.method} {route.path}"] = r.status_code
        for name, annotation in route.query_params.items():
            if takes_int(annotation):
                url = _url(route.path, route.path_params, "1")
                r = client.request(route.method, url, params={name: HUGE}, headers=admin)
                answers[f"{route.method} {route.path}?{name}"] = r.status_code
    wrong = [f"{k}: {v}" for k, v in answers.items() if v not in (404, 422)]
    assert not wrong, "\n".join(wrong)


