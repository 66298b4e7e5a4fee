"""review notes and improvement actions of a crisis's after-action review

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 19:45:00

The people's part of a review: notes (strengths, weaknesses, internal and external views) and
improvement actions with an owner, a due date, what they change and when they were done.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'review_notes',
        sa.Column('crisis_id', _ID, nullable=False),
        sa.Column('strengths', sa.Text(), nullable=False),
        sa.Column('weaknesses', sa.Text(), nullable=False),
        sa.Column('internal_views', sa.Text(), nullable=False),
        sa.Column('external_views', sa.Text(), nullable=False),
        sa.Column('updated_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_review_notes_crisis_id_crises'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('crisis_id', name=op.f('pk_review_notes')),
    )
    op.create_table(
        'improvement_actions',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('crisis_id', _ID, nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=255), nullable=False),
        sa.Column('due_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('links_to', sa.String(length=255), nullable=True),
        sa.Column('done_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('done_by', sa.String(length=320), nullable=True),
        sa.Column('created_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'],
                                name=op.f('fk_improvement_actions_crisis_id_crises'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_actions')),
    )
    with op.batch_alter_table('improvement_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_actions_crisis_id'), ['crisis_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('improvement_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_actions_crisis_id'))
    op.drop_table('improvement_actions')
    op.drop_table('review_notes')
