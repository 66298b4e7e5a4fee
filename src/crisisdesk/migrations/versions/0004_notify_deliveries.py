"""notify deliveries (the notification outbox)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notify_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('situation_id', sa.BigInteger(), nullable=True),
    sa.Column('target_name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('remote_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_deliveries')),
    sa.UniqueConstraint('key', name=op.f('uq_notify_deliveries_key'))
    )
    with op.batch_alter_table('notify_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_notify_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_notify_deliveries_situation_id', ['situation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notify_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_deliveries_situation_id')
        batch_op.drop_index('ix_notify_deliveries_due')

    op.drop_table('notify_deliveries')
