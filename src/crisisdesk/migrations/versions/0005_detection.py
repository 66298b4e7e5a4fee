"""detection and escalation: rollups, situations, escalations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('series_buckets',
    sa.Column('monitor_id', _KEY, nullable=False),
    sa.Column('resolution', sa.String(length=1), nullable=False),
    sa.Column('bucket_start', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('volume', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.Column('insult', sa.Integer(), nullable=False),
    sa.Column('reach', sa.BigInteger(), nullable=False),
    sa.Column('negative_reach', sa.BigInteger(), nullable=False),
    sa.Column('engagement', sa.BigInteger(), nullable=False),
    sa.Column('new_authors', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['monitor_id'], ['monitors.id'], name=op.f('fk_series_buckets_monitor_id_monitors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('monitor_id', 'resolution', 'bucket_start', name=op.f('pk_series_buckets'))
    )
    op.create_table('series_shares',
    sa.Column('monitor_id', _KEY, nullable=False),
    sa.Column('resolution', sa.String(length=1), nullable=False),
    sa.Column('bucket_start', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dim', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('volume', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['monitor_id'], ['monitors.id'], name=op.f('fk_series_shares_monitor_id_monitors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('monitor_id', 'resolution', 'bucket_start', 'dim', 'key', name=op.f('pk_series_shares'))
    )
    op.create_table('situations',
    sa.Column('id', _KEY, autoincrement=True, nullable=False),
    sa.Column('monitor_id', _KEY, nullable=False),
    sa.Column('cause', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('opened_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=255), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['monitor_id'], ['monitors.id'], name=op.f('fk_situations_monitor_id_monitors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_situations'))
    )
    with op.batch_alter_table('situations', schema=None) as batch_op:
        batch_op.create_index('ix_situations_monitor_cause', ['monitor_id', 'cause', 'status'], unique=False)
    op.create_table('situation_events',
    sa.Column('id', _KEY, autoincrement=True, nullable=False),
    sa.Column('situation_id', _KEY, nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['situation_id'], ['situations.id'], name=op.f('fk_situation_events_situation_id_situations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_situation_events'))
    )
    with op.batch_alter_table('situation_events', schema=None) as batch_op:
        batch_op.create_index('ix_situation_events_situation', ['situation_id', 'at'], unique=False)
    op.create_table('escalations',
    sa.Column('id', _KEY, autoincrement=True, nullable=False),
    sa.Column('situation_id', _KEY, nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('chain', sa.Text(), nullable=False),
    sa.Column('next_step', sa.Integer(), nullable=False),
    sa.Column('next_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['situation_id'], ['situations.id'], name=op.f('fk_escalations_situation_id_situations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations'))
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index('ix_escalations_due', ['status', 'next_at'], unique=False)
        batch_op.create_index('ix_escalations_situation', ['situation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_escalations_situation')
        batch_op.drop_index('ix_escalations_due')
    op.drop_table('escalations')
    with op.batch_alter_table('situation_events', schema=None) as batch_op:
        batch_op.drop_index('ix_situation_events_situation')
    op.drop_table('situation_events')
    with op.batch_alter_table('situations', schema=None) as batch_op:
        batch_op.drop_index('ix_situations_monitor_cause')
    op.drop_table('situations')
    op.drop_table('series_shares')
    op.drop_table('series_buckets')
