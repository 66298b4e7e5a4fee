"""Channels as configuration items: /api/v1/config/channels/{key} masks their secrets, keeps them
when sent back masked, refuses a bad block with its place, and a saved channel receives at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from crisisdesk.accounts.roles import Role
from crisisdesk.configuration.secrets import MASK
from crisisdesk.configuration.service import latest
from tests.accounts.fixtures import World, make_world
from tests.channels.payloads import APP_SECRET, PNID, VERIFY_TOKEN

TOKEN = "EAAG-literal-access-token"
URL = "/api/v1/config/channels/voltaro-wa"


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_world(workspace_file)


def block(**extra: str) -> dict[str, str]:
    return {"platform": "whatsapp", "phone_number_id": PNID, "access_token": TOKEN,
            "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, **extra}


def test_channel_items_mask_keep_and_refuse(world: World) -> None:
    admin = world.bearer(Role.ADMIN)
    created = world.client.put(URL, json=block(), headers=admin)
    assert created.status_code == 201, created.text
    shown = world.client.get(URL, headers=admin).json()["value"]
    assert shown["access_token"] == MASK and shown["app_secret"] == MASK and shown["key"] == "voltaro-wa"
    assert TOKEN not in world.client.get("/api/v1/config/channels", headers=admin).text
    # sent back as shown, with one field changed: the secrets stay
    shown["graph_version"] = "v26.0"
    assert world.client.put(URL, json=shown, headers=admin).status_code == 200
    with world.engine.connect() as conn:
        stored = latest(conn)
    assert stored is not None
    (channel,) = yaml.safe_load(stored.text)["channels"]
    assert (channel["access_token"], channel["graph_version"]) == (TOKEN, "v26.0")
    # the saved configuration is in force: the webhook handshake of the new channel answers
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    assert world.client.get("/webhooks/voltaro-wa", params=params).text == "42"
    bad = world.client.put(URL, json=block(phone_number_id="not digits"), headers=admin)
    assert bad.status_code == 422 and "phone_number_id" in bad.json()["detail"]
    new_masked = world.client.put("/api/v1/config/channels/other", json=block(access_token=MASK),
                                  headers=admin)
    assert new_masked.status_code == 422 and "access_token: enter the secret" in new_masked.json()["detail"]
    assert world.client.put(URL, json=block(), headers=world.bearer(Role.CRISIS_LEAD)).status_code == 403
    assert world.client.delete(URL, headers=admin).status_code == 200
    assert world.client.get("/webhooks/voltaro-wa", params=params).status_code == 404
