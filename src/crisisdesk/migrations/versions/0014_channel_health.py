"""channel health: the platform's word on dead credentials, rate-limited polls, deliveries by time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 06:40:00

Only a new table, an added column and an index, so neither database rebuilds a table (see 0012
for why a rebuild is avoided on SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_AT = crisisdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('channel_health',
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('credentials_error', sa.Text(), nullable=True),
    sa.Column('credentials_error_at', _AT, nullable=True),
    sa.Column('credentials_source', sa.String(length=16), nullable=True),
    sa.Column('checked_at', _AT, nullable=True),
    sa.Column('checked_ok_at', _AT, nullable=True),
    sa.Column('updated_at', _AT, nullable=False),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_channel_health'))
    )
    with op.batch_alter_table('channel_cursors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('limited_since', _AT, nullable=True))
    op.create_index('ix_channel_deliveries_received', 'channel_deliveries', ['channel', 'received_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_channel_deliveries_received', table_name='channel_deliveries')
    op.drop_column('channel_cursors', 'limited_since')
    op.drop_table('channel_health')
