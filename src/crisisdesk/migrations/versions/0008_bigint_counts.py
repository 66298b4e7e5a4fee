"""64-bit counts: followers, likes, shares, replies and views as BIGINT on PostgreSQL

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:30:00

A post with 3 billion views or an account with more than 2^31 followers overflowed PostgreSQL's
32-bit INTEGER and cost its whole batch. SQLite's INTEGER is 64-bit already, so nothing changes
there. The rollups that add these counts up (series_buckets.reach, negative_reach, engagement)
are BIGINT since 0005.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_COLUMNS = (
    ('authors', 'followers'),
    ('posts', 'likes'),
    ('posts', 'shares'),
    ('posts', 'replies'),
    ('posts', 'views'),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, column in _COLUMNS:
        op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer(),
                        existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    # Fails (as it should) while a stored count does not fit 32 bits.
    for table, column in _COLUMNS:
        op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger(),
                        existing_nullable=True)
