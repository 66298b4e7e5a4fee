"""crisis mode: per crisis or workspace-wide, who switched it on and off, and when

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('crisis_modes',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('crisis_id', _ID, nullable=True),
    sa.Column('on_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('on_by', sa.String(length=320), nullable=False),
    sa.Column('off_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('off_by', sa.String(length=320), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_crisis_modes_crisis_id_crises'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_modes'))
    )
    with op.batch_alter_table('crisis_modes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_modes_crisis_id'), ['crisis_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('crisis_modes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_modes_crisis_id'))
    op.drop_table('crisis_modes')
