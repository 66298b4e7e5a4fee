"""One place that makes HTTP clients for connectors: timeouts, a user agent, no redirects to
other hosts, and the error when the platform cannot be reached at all."""

from __future__ import annotations

import httpx

import crisisdesk
from crisisdesk.channels.base import PlatformError

TIMEOUT = httpx.Timeout(15.0, connect=5.0)


def client(base_url: str, *, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=TIMEOUT, follow_redirects=False,
                        headers={"User-Agent": f"crisisdesk/{crisisdesk.__version__}", **(headers or {})})


def unreachable(base_url: str, exc: httpx.HTTPError) -> PlatformError:
    return PlatformError(f"{base_url} cannot be reached: {exc.__class__.__name__}: {exc}", retry_after=30.0)


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
