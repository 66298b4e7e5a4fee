"""posts: visibility, attachments, the channel delivery that carried them, deleted_at

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00

Only added columns and an index, so neither database rebuilds the table: on SQLite a rebuild of
``posts`` drops the old table, which fires the ON DELETE CASCADE of ``monitor_matches`` and
``label_corrections`` (foreign keys are on, and cannot be switched off inside the migration's
transaction). The downgrade drops the columns natively for the same reason (SQLite 3.35+).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_HAS_DELIVERY = 'delivery_id IS NOT NULL'


def upgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visibility', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.add_column(sa.Column('deleted_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_posts_delivery_id', ['delivery_id'], unique=False,
                              sqlite_where=sa.text(_HAS_DELIVERY), postgresql_where=sa.text(_HAS_DELIVERY))


def downgrade() -> None:
    op.drop_index('ix_posts_delivery_id', table_name='posts')
    for column in ('deleted_at', 'delivery_id', 'attachments', 'visibility'):
        op.drop_column('posts', column)
