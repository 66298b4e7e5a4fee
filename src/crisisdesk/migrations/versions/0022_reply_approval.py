"""reply approval: public replies held by a crisis's approval gate wait in the outbox

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 10:00:00

New outbox statuses ``awaiting_approval`` and ``rejected`` (the status column grows to 32
characters for them) and the approval's columns: which crisis held the reply, its state, who
decided and when, the approver's comment, and the reply check's findings at submission.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('channel_outbox', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), type_=sa.String(length=32),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('crisis_id', _ID, nullable=True))
        batch_op.add_column(sa.Column('approval_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('approved_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approval_comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('findings', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_channel_outbox_crisis_id'), ['crisis_id'], unique=False)


def downgrade() -> None:
    # Held and rejected replies have no status the older schema knows: they become failed items.
    op.execute("UPDATE channel_outbox SET status = 'failed', last_error = 'held for approval; "
               "approval was removed by a downgrade' WHERE status IN ('awaiting_approval', 'rejected')")
    with op.batch_alter_table('channel_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_outbox_crisis_id'))
        batch_op.drop_column('findings')
        batch_op.drop_column('approval_comment')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('approval_state')
        batch_op.drop_column('crisis_id')
        batch_op.alter_column('status', existing_type=sa.String(length=32), type_=sa.String(length=16),
                              existing_nullable=False)
