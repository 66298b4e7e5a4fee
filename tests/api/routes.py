"""Every route the app serves (API and pages), flattened, with the parameters it declares.

Walks the routes as FastAPI builds them, so a route added later is covered by the tests that use
this without being listed anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    path_params: dict[str, Any]  # name -> annotation
    query_params: dict[str, Any]
    in_schema: bool
    body_params: dict[str, Any]  # name -> annotation (a model, usually)


def _routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route): newer FastAPI keeps included routers as lazy contexts."""
    import fastapi.routing as routing

    contexts = getattr(routing, "iter_route_contexts", None)
    if contexts is None:  # older FastAPI: included routes are copied onto the app
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, route
        return
    for context in contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path is not None:
            yield context.path, route


def _params(dependant: Dependant, where: str) -> dict[str, Any]:
    """The route's own parameters and those of its dependencies."""
    found = {p.alias: p.field_info.annotation for p in getattr(dependant, where)}
    for sub in dependant.dependencies:
        found.update(_params(sub, where))
    return found


def api_routes(app: FastAPI) -> list[RouteInfo]:
    found = []
    for path, route in _routes(app):
        for method in sorted(route.methods or ()):
            found.append(RouteInfo(method, path, _params(route.dependant, "path_params"),
                                   _params(route.dependant, "query_params"), route.include_in_schema,
                                   _params(route.dependant, "body_params")))
    return found


def takes_int(annotation: Any) -> bool:
    return "int" in str(annotation) and "str" not in str(annotation)
