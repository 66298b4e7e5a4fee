"""Tables of the analysis domain: label corrections made by people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class LabelCorrection(Base):
    """A person's verdict on one analysis of one post, kept for retraining.

    Every correction is kept (who said what when); training uses the newest per post and task.
    """

    __tablename__ = "label_corrections"
    __table_args__ = (Index("ix_label_corrections_task_time", "task", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    task: Mapped[str] = mapped_column(String(16))  # sentiment | insult | complaints
    label: Mapped[str] = mapped_column(Text)  # complaints: a JSON array of type names
    source: Mapped[str] = mapped_column(String(64))  # cli | api | (later) the user
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
