"""channel health: when our posts of the longer history were last read back with their counts

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channel_health') as batch:
        batch.add_column(sa.Column('own_posts_history_at', crisisdesk.db.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channel_health') as batch:
        batch.drop_column('own_posts_history_at')
