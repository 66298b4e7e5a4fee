"""The demo's web server believes forwarded headers only from CRISISDESK_TRUSTED_PROXIES, like
`crisisdesk serve`: a client that names a new address per try still meets the sign-in throttle."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from crisisdesk.demo.web import DemoWebServer, bind
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace


@pytest.mark.parametrize(("trusted", "expected"), [(None, [401] * 5 + [429]), ("127.0.0.1", [401] * 6)])
def test_the_demo_web_app_trusts_only_configured_proxies(
        workspace_file: Path, monkeypatch: pytest.MonkeyPatch, trusted: str | None,
        expected: list[int]) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    if trusted is None:
        monkeypatch.delenv("CRISISDESK_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("CRISISDESK_TRUSTED_PROXIES", trusted)
    settings = Settings()
    runtime = build_runtime(load_workspace(workspace_file, settings), settings)
    try:
        with DemoWebServer(runtime, bind(0)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            creds = {"email": "someone@example.org", "password": "wrong password"}
            statuses = [http.post("/api/v1/auth/login", json=creds,
                                  headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                        for i in range(1, 7)]
    finally:
        runtime.close()
    assert statuses == expected
