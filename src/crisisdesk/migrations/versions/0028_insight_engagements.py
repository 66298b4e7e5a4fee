"""insight engagements

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 07:20:00

``channel_insights.engagements``: the engagements with our content a platform reports per day
(Facebook's ``page_post_engagements``, Instagram's ``total_interactions``), where the posts
themselves arrive without counts. None where the platform said nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channel_insights', schema=None) as batch_op:
        batch_op.add_column(sa.Column('engagements', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channel_insights', schema=None) as batch_op:
        batch_op.drop_column('engagements')
