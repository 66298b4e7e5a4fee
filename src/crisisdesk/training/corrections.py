"""Label corrections: a person overrides an analysis of a post; training learns from it.

Correcting writes the verdict into the post's own columns at once (everyone sees it) and keeps it
in ``label_corrections`` (who, when, what) for the next ``crisisdesk train``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Engine

from crisisdesk.analysis.models import LabelCorrection
from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.posts.models import Post
from crisisdesk.training.datasets_base import Example

SENTIMENTS = ("negative", "neutral", "positive")
INSULTS = ("none", "offense")
TASKS = ("sentiment", "insult", "complaints")

_posts = cast(Table, Post.__table__)
_corrections = cast(Table, LabelCorrection.__table__)


class CorrectionError(CrisisdeskError):
    """A correction names a post that does not exist or a label that does not exist."""


@dataclass(frozen=True)
class Correction:
    sentiment: str | None = None
    insult: str | None = None
    complaint_types: tuple[str, ...] | None = None

    def validate(self, complaint_names: Sequence[str]) -> None:
        if self.sentiment is None and self.insult is None and self.complaint_types is None:
            raise CorrectionError("nothing to correct: give a sentiment, an insult label or complaint types")
        if self.sentiment is not None and self.sentiment not in SENTIMENTS:
            raise CorrectionError(f"sentiment {self.sentiment!r}: use one of {', '.join(SENTIMENTS)}")
        if self.insult is not None and self.insult not in INSULTS:
            raise CorrectionError(f"insult {self.insult!r}: use one of {', '.join(INSULTS)}")
        unknown = [t for t in self.complaint_types or () if t not in complaint_names]
        if unknown:
            raise CorrectionError(f"unknown complaint type(s) {', '.join(unknown)}; "
                                  f"the workspace has {', '.join(complaint_names)}")


def correct(engine: Engine, *, platform: str, external_id: str, correction: Correction,
            complaint_names: Sequence[str], source: str, now: datetime,
            actor: Actor | None = None) -> dict[str, Any]:
    """Apply and record a correction; returns the post's analysis columns as they are now.
    ``actor``: also write the ``post.labelled`` audit entry, in the same transaction."""
    correction.validate(complaint_names)
    with engine.begin() as conn:
        post_id = conn.execute(select(_posts.c.id).where(
            _posts.c.platform == platform, _posts.c.external_id == external_id)).scalar()
        if post_id is None:
            raise CorrectionError(f"no post {platform}:{external_id}")
        values: dict[str, Any] = {}
        rows = []
        if correction.sentiment is not None:
            values |= {"sentiment": correction.sentiment, "sentiment_score": 1.0}
            rows.append(("sentiment", correction.sentiment))
        if correction.insult is not None:
            values |= {"insult": correction.insult, "insult_score": 1.0}
            if correction.insult == "none":
                values["insult_kind"] = None
            rows.append(("insult", correction.insult))
        if correction.complaint_types is not None:
            encoded = orjson.dumps(list(correction.complaint_types)).decode()
            values["complaint_types"] = encoded
            rows.append(("complaints", encoded))
        conn.execute(update(_posts).where(_posts.c.id == post_id).values(values))
        conn.execute(insert(_corrections), [
            {"post_id": post_id, "task": task, "label": label, "source": source, "created_at": now}
            for task, label in rows
        ])
        current = conn.execute(select(
            _posts.c.sentiment, _posts.c.sentiment_score, _posts.c.insult, _posts.c.insult_score,
            _posts.c.insult_kind, _posts.c.complaint_types).where(_posts.c.id == post_id)).one()
        result = {
            "sentiment": {"label": current.sentiment, "score": current.sentiment_score},
            "insult": {"label": current.insult, "score": current.insult_score, "kind": current.insult_kind},
            "complaint_types": orjson.loads(current.complaint_types) if current.complaint_types else [],
        }
        if actor is not None:
            record(conn, actor=actor, action=AuditAction.POST_LABELLED, at=now, target_type="post",
                   target_id=f"{platform}:{external_id}", after=result)
    return result


def training_examples(engine: Engine, task: str) -> list[Example]:
    """The newest correction per post for ``task``, as training examples (language: the post's)."""
    if task not in TASKS:
        raise CorrectionError(f"unknown task {task!r}")
    query = (
        select(_corrections.c.post_id, _corrections.c.label, _posts.c.text, _posts.c.lang)
        .join(_posts, _posts.c.id == _corrections.c.post_id)
        .where(_corrections.c.task == task)
        .order_by(_corrections.c.post_id, _corrections.c.created_at, _corrections.c.id)
    )
    newest: dict[int, Example] = {}
    with engine.connect() as conn:
        for post_id, label, text, lang in conn.execute(query):
            newest[post_id] = Example(text=text, label=label, lang=lang or "und", source="corrections")
    return list(newest.values())
