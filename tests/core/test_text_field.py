"""Free text that is stored refuses NUL characters (PostgreSQL's text cannot hold them): a 422
naming the field, never a 500 from the driver."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crisisdesk.api.approvals import ApproveIn, RejectIn
from crisisdesk.api.conversations import NoteIn
from crisisdesk.api.crisis_mode import ModeIn


@pytest.mark.parametrize(
    ("model", "field", "extra"),
    [
        (ModeIn, "reason", {"on": True}),
        (RejectIn, "comment", {}),
        (ApproveIn, "text", {}),
        (NoteIn, "text", {}),
    ],
)
def test_a_nul_character_is_refused_with_the_field(model: type, field: str, extra: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as exc:
        model(**extra, **{field: "bis \x00 morgen"})
    assert exc.value.errors()[0]["loc"] == (field,) and "NUL" in str(exc.value)
    assert getattr(model(**extra, **{field: "bis morgen"}), field) == "bis morgen"
