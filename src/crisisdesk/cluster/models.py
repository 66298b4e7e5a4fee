"""The tables of the distributed mode."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, UTCDateTime


class ClusterLease(Base):
    """A duty that exactly one process holds at a time (the pipeline's store and detection stage).

    ``epoch`` is the fencing token: it grows each time the lease changes hands, and the holder's
    every transaction checks that it still holds this epoch, under a row lock a taker has to wait
    for. ``generation`` counts changes other processes made to the state the holder keeps in memory
    (a person raising a situation's severity on a front end); the holder re-reads it when it moved.
    """

    __tablename__ = "cluster_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    epoch: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=0)
    generation: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
