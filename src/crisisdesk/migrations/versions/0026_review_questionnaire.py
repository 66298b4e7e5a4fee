"""review questionnaire

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 21:35:00

The team's answers to a crisis's short questionnaire (what went well, what did not, what to
change, how prepared they felt), one row per crisis and account.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('questionnaire_answers',
    sa.Column('crisis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person', sa.String(length=320), nullable=False),
    sa.Column('went_well', sa.Text(), nullable=False),
    sa.Column('went_badly', sa.Text(), nullable=False),
    sa.Column('change', sa.Text(), nullable=False),
    sa.Column('prepared', sa.Integer(), nullable=True),
    sa.Column('answered_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_questionnaire_answers_crisis_id_crises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('crisis_id', 'person', name=op.f('pk_questionnaire_answers'))
    )


def downgrade() -> None:
    op.drop_table('questionnaire_answers')
