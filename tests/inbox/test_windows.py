"""Meta's 24-hour window is shown before sending: a WhatsApp conversation whose last message is
older than 24 hours says when the window closed, and a free-form answer is refused with the reason
before anything reaches the outbox; a fresh message opens it again."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.channels.models import OutboxItem
from crisisdesk.core.clock import SystemClock
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.channels.payloads import (
    APP_SECRET,
    PNID,
    VERIFY_TOKEN,
    WABA_ID,
    meta_body,
    meta_signature,
    wa_text,
    wa_value,
)
from tests.channels.test_outbox_flow import token


def test_the_whatsapp_window_is_known_before_sending(workspace_file: Path) -> None:
    workspace_file.write_text(
        f"""
channels:
  - key: voltaro-wa
    platform: whatsapp
    phone_number_id: "{PNID}"
    access_token: wa-token
    app_secret: {APP_SECRET}
    verify_token: {VERIFY_TOKEN}
    api_base: http://127.0.0.1:9
""",
        encoding="utf-8",
    )
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    with TestClient(create_app(runtime, api_token="t")) as client:

        def deliver(value: dict[str, Any]) -> None:
            body = meta_body("whatsapp_business_account", [{"id": WABA_ID, "changes": [value]}])
            r = client.post(
                "/webhooks/voltaro-wa",
                content=body,
                headers={"X-Hub-Signature-256": meta_signature(body), "Content-Type": "application/json"},
            )
            assert r.status_code == 200
            runtime.process_deliveries()

        deliver(wa_value(messages=[wa_text("wamid.OLD", "Hallo?", ts="1764846000")]))  # 2025-12-04 11:00 UTC
        agent = token(client, Role.AGENT)
        cid = client.get("/api/v1/conversations", headers=agent).json()["items"][0]["id"]
        detail = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()
        assert detail["public"] is False
        assert detail["private_window_closes_at"].startswith("2025-12-05T11:00:00")
        refused = client.post(
            f"/api/v1/conversations/{cid}/messages", json={"text": "Entschuldigung!"}, headers=agent
        )
        assert refused.status_code == 422 and "window for private messages closed" in refused.json()["detail"]
        with runtime.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(OutboxItem)).scalar_one() == 0

        deliver(wa_value(messages=[wa_text("wamid.NEW", "Noch da?", ts=str(int(time.time())))]))
        fresh = client.get(f"/api/v1/conversations/{cid}", headers=agent).json()
        assert fresh["private_window_closes_at"] > detail["private_window_closes_at"]
        queued = client.post(
            f"/api/v1/conversations/{cid}/messages", json={"text": "Ja, wir sind da."}, headers=agent
        )
        assert queued.status_code == 202, queued.text
    runtime.close()
