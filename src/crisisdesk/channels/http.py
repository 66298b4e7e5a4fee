"""One place that makes HTTP clients for connectors: timeouts, a user agent, no redirects to
other hosts, and the error when the platform cannot be reached at all."""

from __future__ import annotations

from typing import Any

import httpx

import crisisdesk
from crisisdesk.channels.base import PlatformError

TIMEOUT = httpx.Timeout(15.0, connect=5.0)


def client(base_url: str, *, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=TIMEOUT, follow_redirects=False,
                        headers={"User-Agent": f"crisisdesk/{crisisdesk.__version__}", **(headers or {})})


def unreachable(base_url: str, exc: httpx.HTTPError) -> PlatformError:
    return PlatformError(f"{base_url} cannot be reached: {exc.__class__.__name__}: {exc}", retry_after=30.0)


def request_json(http: httpx.Client, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, Any]:
    """One call and its JSON answer (None when the body is not JSON: the caller classifies the
    answer by status); a platform that cannot be reached at all is a :class:`PlatformError`."""
    try:
        response = http.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise unreachable(str(http.base_url), exc) from exc
    try:
        return response, response.json()
    except ValueError:
        return response, None


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
