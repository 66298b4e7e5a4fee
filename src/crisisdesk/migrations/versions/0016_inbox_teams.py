"""inbox teams and mentions: each team's round-robin turn, the people @mentioned in notes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 09:00:00

New tables only: neither database rebuilds a table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AT = crisisdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('inbox_team_turns',
    sa.Column('team', sa.String(length=64), nullable=False),
    sa.Column('last_user_id', _ID, nullable=True),
    sa.Column('updated_at', _AT, nullable=False),
    sa.PrimaryKeyConstraint('team', name=op.f('pk_inbox_team_turns'))
    )
    op.create_table('conversation_mentions',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('conversation_id', _ID, nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('event_id', _ID, nullable=False),
    sa.Column('by', sa.String(length=320), nullable=False),
    sa.Column('at', _AT, nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_mentions_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_mentions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_mentions'))
    )
    op.create_index(op.f('ix_conversation_mentions_conversation_id'), 'conversation_mentions', ['conversation_id'], unique=False)
    op.create_index('ix_conversation_mentions_user', 'conversation_mentions', ['user_id', 'conversation_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_mentions_user', table_name='conversation_mentions')
    op.drop_index(op.f('ix_conversation_mentions_conversation_id'), table_name='conversation_mentions')
    op.drop_table('conversation_mentions')
    op.drop_table('inbox_team_turns')
