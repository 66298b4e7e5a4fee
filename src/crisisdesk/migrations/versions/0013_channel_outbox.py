"""channel outbox: replies, private replies and moderation actions, with their delivery states

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AT = crisisdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('channel_outbox',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('post_id', _ID, nullable=True),
    sa.Column('target', sa.String(length=255), nullable=True),
    sa.Column('thread', sa.String(length=255), nullable=True),
    sa.Column('recipient', sa.String(length=255), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('context', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', _AT, nullable=False),
    sa.Column('claimed_at', _AT, nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('sent_at', _AT, nullable=True),
    sa.Column('delivery_state', sa.String(length=16), nullable=True),
    sa.Column('delivery_state_at', _AT, nullable=True),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_by_user_id', _ID, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_outbox')),
    sa.UniqueConstraint('channel', 'idempotency_key', name=op.f('uq_channel_outbox_channel_idempotency_key'))
    )
    op.create_index('ix_channel_outbox_due', 'channel_outbox', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_channel_outbox_external', 'channel_outbox', ['channel', 'external_id'], unique=False)
    op.create_index(op.f('ix_channel_outbox_post_id'), 'channel_outbox', ['post_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_channel_outbox_post_id'), table_name='channel_outbox')
    op.drop_index('ix_channel_outbox_external', table_name='channel_outbox')
    op.drop_index('ix_channel_outbox_due', table_name='channel_outbox')
    op.drop_table('channel_outbox')
