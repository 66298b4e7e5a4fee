"""crisis playbooks: the confirmed type, tasks from the checklist, and the crisis timeline

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('crises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type_confirmed_by', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('type_confirmed_at', crisisdesk.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('type_reason', sa.JSON(), nullable=True))

    op.create_table('crisis_tasks',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('crisis_id', _ID, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('due_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=320), nullable=True),
    sa.Column('created_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_crisis_tasks_crisis_id_crises'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_tasks')),
    sa.UniqueConstraint('crisis_id', 'key', name=op.f('uq_crisis_tasks_crisis_id_key'))
    )
    with op.batch_alter_table('crisis_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_tasks_crisis_id'), ['crisis_id'], unique=False)

    op.create_table('crisis_actions',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('crisis_id', _ID, nullable=False),
    sa.Column('at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_crisis_actions_crisis_id_crises'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_actions'))
    )
    with op.batch_alter_table('crisis_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_actions_crisis_id'), ['crisis_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('crisis_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_actions_crisis_id'))
    op.drop_table('crisis_actions')
    with op.batch_alter_table('crisis_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_tasks_crisis_id'))
    op.drop_table('crisis_tasks')
    with op.batch_alter_table('crises', schema=None) as batch_op:
        batch_op.drop_column('type_reason')
        batch_op.drop_column('type_confirmed_at')
        batch_op.drop_column('type_confirmed_by')
