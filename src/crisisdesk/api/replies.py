"""``POST /api/v1/replies/check``: the reply guidelines, for the inbox's reply form (as it is
typed) and for any client that drafts replies elsewhere. Checking stores nothing and blocks
nothing: approval gates decide what may be sent; this only says what a reply does badly.

Needs the permission ``reply`` (those who write replies).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.guidelines import Code, check_reply
from crisisdesk.guidelines.checker import MAX_CHARS

Writer = Annotated[Principal, Depends(require(Permission.REPLY))]


class ReplyCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # 0 is not false

    text: str = Field(max_length=MAX_CHARS, examples=["Wir bedauern etwaige Unannehmlichkeiten."])
    lang: Literal["de", "en"] | None = Field(
        default=None, description="The reply's language; detected from the text when left out."
    )
    name: str | None = Field(
        default=None,
        max_length=200,
        examples=["Anna Berger"],
        description="The person's name or @handle, when known (for `no_name`).",
    )
    apology_expected: bool = Field(
        default=True,
        description="The situation calls for an apology (a complaint, a crisis type that asks "
        "for one). When false, a missing apology, empathy or next step is not a finding.",
    )


class FindingOut(BaseModel):
    code: Code
    message: str = Field(description="What is wrong, in the reply's language.")
    start: int = Field(description="Offset of the first character concerned (Python string index).")
    end: int = Field(description="Offset after the last character concerned.")
    suggestion: str = Field(description="What to write instead, in the reply's language.")


class ReplyCheckOut(BaseModel):
    lang: Literal["de", "en"]
    findings: list[FindingOut]


def replies_router() -> APIRouter:
    router = APIRouter(tags=["inbox"])

    @router.post(
        "/api/v1/replies/check",
        response_model=ReplyCheckOut,
        summary="Check a reply against the reply guidelines (German, English)",
    )
    def post_check(body: ReplyCheckIn, _who: Writer) -> ReplyCheckOut:
        """Findings in text order, each with its span, a message and a suggestion in the reply's
        language; an empty list when the reply is fine. Offsets count Unicode code points."""
        result = check_reply(body.text, body.lang, name=body.name, apology_expected=body.apology_expected)
        return ReplyCheckOut(
            lang=result.lang,
            findings=[
                FindingOut(code=f.code, message=f.message, start=f.start, end=f.end, suggestion=f.suggestion)
                for f in result.findings
            ],
        )

    return router
