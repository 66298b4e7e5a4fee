"""channel lookups: items a delivery only names (Instagram @mentions), fetched from the platform

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('channel_lookups',
    sa.Column('id', KEY, autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('delivery_id', KEY, nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('what', sa.String(length=64), nullable=False),
    sa.Column('ids', sa.JSON(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['channel_deliveries.id'],
                            name=op.f('fk_channel_lookups_delivery_id_channel_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_lookups')),
    sa.UniqueConstraint('channel', 'digest', name=op.f('uq_channel_lookups_channel_digest'))
    )
    op.create_index('ix_channel_lookups_due', 'channel_lookups', ['status', 'due_at'], unique=False)
    op.create_index(op.f('ix_channel_lookups_delivery_id'), 'channel_lookups', ['delivery_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_channel_lookups_delivery_id'), table_name='channel_lookups')
    op.drop_index('ix_channel_lookups_due', table_name='channel_lookups')
    op.drop_table('channel_lookups')
