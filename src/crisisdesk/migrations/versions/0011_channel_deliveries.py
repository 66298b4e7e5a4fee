"""channel deliveries (raw webhook bodies and polled pages), unparsed parts, poll cursors

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('received_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('processed_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_deliveries')),
    sa.UniqueConstraint('channel', 'digest', name=op.f('uq_channel_deliveries_channel_digest'))
    )
    op.create_index('ix_channel_deliveries_pending', 'channel_deliveries', ['status', 'id'], unique=False)
    op.create_table('channel_unparsed',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['channel_deliveries.id'], name=op.f('fk_channel_unparsed_delivery_id_channel_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_unparsed'))
    )
    op.create_index(op.f('ix_channel_unparsed_channel'), 'channel_unparsed', ['channel'], unique=False)
    op.create_index(op.f('ix_channel_unparsed_delivery_id'), 'channel_unparsed', ['delivery_id'], unique=False)
    op.create_table('channel_cursors',
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('cursor', sa.JSON(), nullable=True),
    sa.Column('updated_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_ok_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_channel_cursors'))
    )


def downgrade() -> None:
    op.drop_table('channel_cursors')
    op.drop_index(op.f('ix_channel_unparsed_delivery_id'), table_name='channel_unparsed')
    op.drop_index(op.f('ix_channel_unparsed_channel'), table_name='channel_unparsed')
    op.drop_table('channel_unparsed')
    op.drop_index('ix_channel_deliveries_pending', table_name='channel_deliveries')
    op.drop_table('channel_deliveries')
