"""acknowledgement links are single-use: ack_link_uses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('ack_link_uses',
    sa.Column('id', _KEY, autoincrement=True, nullable=False),
    sa.Column('escalation_id', _KEY, nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=255), nullable=False),
    sa.Column('used_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalations.id'], name=op.f('fk_ack_link_uses_escalation_id_escalations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ack_link_uses')),
    sa.UniqueConstraint('escalation_id', 'step', 'recipient', name=op.f('uq_ack_link_uses_escalation_id_step_recipient'))
    )


def downgrade() -> None:
    op.drop_table('ack_link_uses')
