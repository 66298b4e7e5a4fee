"""saves

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 11:30:00

``posts.saves``: how often people saved or bookmarked a post (Instagram's ``saved``, X's
``bookmark_count``), None where the platform did not say; ``channel_days.saves`` its sum in the
analytics' rollup with ``with_saves``, the posts that reported saves at all (saves are "not
reported" where none did, never 0); both 0 for the days already rolled up: no post carried saves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

COUNT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('saves', COUNT, nullable=True))
    with op.batch_alter_table('channel_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('saves', COUNT, nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('with_saves', COUNT, nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('channel_days', schema=None) as batch_op:
        batch_op.drop_column('with_saves')
        batch_op.drop_column('saves')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('saves')
