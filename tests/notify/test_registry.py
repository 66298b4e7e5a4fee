"""Every target kind is configured, registered and documented: no kind is half there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import httpx

from crisisdesk.notify import SENDERS, TargetKind
from crisisdesk.notify.base import SenderDeps
from crisisdesk.notify.schemas import TARGET_MODELS, TargetConfig
from tests.notify.samples import FakeClock

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def test_every_kind_has_a_sender_and_a_config_model() -> None:
    kinds = set(TargetKind)
    assert set(SENDERS) == kinds
    assert set(TARGET_MODELS) == kinds
    union = get_args(get_args(TargetConfig)[0])
    assert {m.model_fields["kind"].default for m in union} == kinds
    assert set(TARGET_MODELS.values()) == set(union)
    with httpx.Client() as client:
        deps = SenderDeps(http=client, clock=FakeClock())
        for factory in SENDERS.values():
            assert callable(factory(deps).send)


def test_every_kind_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(\w+)`", text, flags=re.MULTILINE))
    assert documented == {k.value for k in TargetKind}
