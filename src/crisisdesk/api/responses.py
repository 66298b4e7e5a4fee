"""What the routes answer besides success, as the OpenAPI description says it.

Two halves, so that a new route is described truly with little effort:

* :func:`errors` is for what a route answers on its own account: ``responses=errors(404, 409)``
  on the decorator (404 no such thing, 409 conflict, 400 a refused request, 429 throttled).
* :func:`complete` runs over the whole description once (``create_app`` calls it) and adds what
  follows from the route's shape, so no route has to list it: 401 and 403 where the route asks
  who is calling (a security requirement), 400 (a body that does not parse) and 413 (the body
  ceiling) where it takes a body, 503 with ``Retry-After`` everywhere (a database outage), and the
  true shape of a 422: ``detail`` is the list of ``{loc, msg, type}`` when the request does not
  match the schema, or one sentence when its content is refused (a configuration that does not
  validate, a password that is too short).
"""

from __future__ import annotations

from typing import Any

from crisisdesk.api.outage import RETRY_AFTER_SECONDS

ERROR = "ErrorOut"

MEANING: dict[int, str] = {
    400: "The request cannot be done as sent (the detail says why), or its body is not valid JSON.",
    401: "No valid session or API token (or, for sign-in, wrong e-mail address or password).",
    403: "Signed in, but not allowed to do this (role, service token, or a missing CSRF token).",
    404: "There is no such thing (or it is not yours to see).",
    409: "It conflicts with what is stored (the detail says what).",
    413: "The request body is larger than CRISISDESK_MAX_BODY_BYTES (or the batch has too many posts).",
    422: "The request does not match the schema (detail: where and what), or its content is refused "
         "(detail: a sentence naming every problem).",
    429: "Too many failed attempts; wait Retry-After seconds.",
    503: f"The database is not reachable; try again after Retry-After ({RETRY_AFTER_SECONDS}) seconds.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "required": True,
                                "schema": {"type": "integer"}}}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer, when no valid token was sent.",
                               "schema": {"type": "string"}}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}


def _response(code: int) -> dict[str, Any]:
    schema_ref = f"#/components/schemas/{'HTTPValidationError' if code == 422 else ERROR}"
    answer: dict[str, Any] = {"description": MEANING[code],
                              "content": {"application/json": {"schema": {"$ref": schema_ref}}}}
    if code in HEADERS:
        answer["headers"] = HEADERS[code]
    return answer


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for the error answers a route gives on its own account."""
    return {code: _response(code) for code in codes}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add to every operation the answers that follow from its shape (see the module docstring)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR] = {
        "title": ERROR, "type": "object", "required": ["detail"],
        "properties": {"detail": {"type": "string", "description": "What went wrong, in a sentence."}},
    }
    components.setdefault("ValidationError", {"type": "object"})
    components["HTTPValidationError"] = {
        "title": "HTTPValidationError", "type": "object", "required": ["detail"],
        "properties": {"detail": {"anyOf": [
            {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
            {"type": "string"}]}},
    }
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            codes = [503]
            if operation.get("security"):
                codes += [401, 403]
            if "requestBody" in operation:
                codes += [400, 413, 422]
            if operation.get("parameters"):
                codes.append(422)
            answers = operation.setdefault("responses", {})
            for code in codes:
                answers.setdefault(str(code), _response(code))
            if "422" in answers:  # the one true shape of `detail`, with what the route says of it
                own = answers["422"].get("description")
                answers["422"] = _response(422)
                if own and own != "Validation Error":
                    answers["422"]["description"] = own
    return schema
