"""ticket SLAs: due times on conversations, the earliest indexed for the "SLA soon due" view

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 09:00:00

Only added columns and an index, so neither database rebuilds a table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_AT = crisisdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_response_due', _AT, nullable=True))
        batch_op.add_column(sa.Column('next_response_due', _AT, nullable=True))
        batch_op.add_column(sa.Column('resolution_due', _AT, nullable=True))
        batch_op.add_column(sa.Column('sla_due', _AT, nullable=True))
        batch_op.add_column(sa.Column('resolution_from', _AT, nullable=True))
        batch_op.add_column(sa.Column('sla_breached', sa.JSON(), nullable=False, server_default='{}'))
    op.create_index(op.f('ix_conversations_sla_due'), 'conversations', ['sla_due'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_conversations_sla_due'), table_name='conversations')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('sla_breached')
        batch_op.drop_column('resolution_from')
        batch_op.drop_column('sla_due')
        batch_op.drop_column('resolution_due')
        batch_op.drop_column('next_response_due')
        batch_op.drop_column('first_response_due')
