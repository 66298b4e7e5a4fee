"""crises: one crisis per event, grouping situations (each with why it joined)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 15:07:37.041168
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crises',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=True),
    sa.Column('opened_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('monitors', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crises'))
    )
    with op.batch_alter_table('crises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crises_status'), ['status'], unique=False)

    op.create_table('crisis_situations',
    sa.Column('situation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('crisis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('joined_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.JSON(), nullable=False),
    sa.Column('by', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_crisis_situations_crisis_id_crises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['situation_id'], ['situations.id'], name=op.f('fk_crisis_situations_situation_id_situations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('situation_id', name=op.f('pk_crisis_situations'))
    )
    with op.batch_alter_table('crisis_situations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_situations_crisis_id'), ['crisis_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('crisis_situations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_situations_crisis_id'))

    op.drop_table('crisis_situations')
    with op.batch_alter_table('crises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crises_status'))

    op.drop_table('crises')
