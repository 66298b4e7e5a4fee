"""inbox: contacts and their platform identities, conversations (tickets), timelines, rule runs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AT = crisisdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('contacts',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('first_author_id', _ID, nullable=True),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('updated_at', _AT, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    op.create_table('contact_identities',
    sa.Column('author_id', _ID, nullable=False),
    sa.Column('contact_id', _ID, nullable=False),
    sa.Column('linked', sa.String(length=16), nullable=False),
    sa.Column('linked_at', _AT, nullable=False),
    sa.Column('merged_from', _ID, nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['authors.id'], name=op.f('fk_contact_identities_author_id_authors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_identities_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('author_id', name=op.f('pk_contact_identities'))
    )
    op.create_index(op.f('ix_contact_identities_contact_id'), 'contact_identities', ['contact_id'], unique=False)
    op.create_table('conversations',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('thread', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=255), nullable=True),
    sa.Column('contact_id', _ID, nullable=True),
    sa.Column('public', sa.Boolean(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('snoozed_until', _AT, nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('assignee_user_id', _ID, nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('updated_at', _AT, nullable=False),
    sa.Column('last_message_at', _AT, nullable=False),
    sa.Column('last_inbound_at', _AT, nullable=True),
    sa.Column('last_outbound_at', _AT, nullable=True),
    sa.Column('waiting_since', _AT, nullable=True),
    sa.Column('first_response_at', _AT, nullable=True),
    sa.Column('resolved_at', _AT, nullable=True),
    sa.Column('ticket', sa.String(length=32), nullable=True),
    sa.Column('ticket_opened_at', _AT, nullable=True),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('insults', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_conversations_assignee_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_conversations_contact_id_contacts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('platform', 'thread', name=op.f('uq_conversations_platform_thread')),
    sa.UniqueConstraint('ticket', name=op.f('uq_conversations_ticket'))
    )
    op.create_index('ix_conversations_assignee', 'conversations', ['assignee_user_id', 'status'], unique=False)
    op.create_index(op.f('ix_conversations_channel'), 'conversations', ['channel'], unique=False)
    op.create_index(op.f('ix_conversations_contact_id'), 'conversations', ['contact_id'], unique=False)
    op.create_index('ix_conversations_status_last', 'conversations', ['status', 'last_message_at'], unique=False)
    op.create_index(op.f('ix_conversations_waiting_since'), 'conversations', ['waiting_since'], unique=False)
    op.create_table('conversation_events',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('conversation_id', _ID, nullable=False),
    sa.Column('at', _AT, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('actor_user_id', _ID, nullable=True),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_events_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_events'))
    )
    op.create_index(op.f('ix_conversation_events_conversation_id'), 'conversation_events', ['conversation_id'], unique=False)
    op.create_table('inbox_rule_runs',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('rule', sa.String(length=120), nullable=False),
    sa.Column('post_id', _ID, nullable=False),
    sa.Column('conversation_id', _ID, nullable=False),
    sa.Column('at', _AT, nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_inbox_rule_runs_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_rule_runs'))
    )
    op.create_index(op.f('ix_inbox_rule_runs_conversation_id'), 'inbox_rule_runs', ['conversation_id'], unique=False)
    op.create_index('ix_inbox_rule_runs_rule_at', 'inbox_rule_runs', ['rule', 'at'], unique=False)
    op.create_table('conversation_words',
    sa.Column('word', sa.String(length=64).with_variant(sa.String(length=64, collation='C'), 'postgresql'), nullable=False),
    sa.Column('conversation_id', _ID, nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_words_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('word', 'conversation_id', name=op.f('pk_conversation_words'))
    )
    op.create_index(op.f('ix_conversation_words_conversation_id'), 'conversation_words', ['conversation_id'], unique=False)
    op.create_table('moderation_reviews',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('post_id', _ID, nullable=False),
    sa.Column('conversation_id', _ID, nullable=True),
    sa.Column('rule', sa.String(length=120), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('outbox_id', _ID, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('decided_at', _AT, nullable=True),
    sa.Column('decided_by', sa.String(length=320), nullable=True),
    sa.Column('restore_outbox_id', _ID, nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_moderation_reviews_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_reviews'))
    )
    op.create_index(op.f('ix_moderation_reviews_post_id'), 'moderation_reviews', ['post_id'], unique=False)
    op.create_index('ix_moderation_reviews_status', 'moderation_reviews', ['status', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_conversation_words_conversation_id'), table_name='conversation_words')
    op.drop_table('conversation_words')
    op.drop_index('ix_moderation_reviews_status', table_name='moderation_reviews')
    op.drop_index(op.f('ix_moderation_reviews_post_id'), table_name='moderation_reviews')
    op.drop_table('moderation_reviews')
    op.drop_index('ix_inbox_rule_runs_rule_at', table_name='inbox_rule_runs')
    op.drop_index(op.f('ix_inbox_rule_runs_conversation_id'), table_name='inbox_rule_runs')
    op.drop_table('inbox_rule_runs')
    op.drop_index(op.f('ix_conversation_events_conversation_id'), table_name='conversation_events')
    op.drop_table('conversation_events')
    op.drop_index(op.f('ix_conversations_waiting_since'), table_name='conversations')
    op.drop_index('ix_conversations_status_last', table_name='conversations')
    op.drop_index(op.f('ix_conversations_contact_id'), table_name='conversations')
    op.drop_index(op.f('ix_conversations_channel'), table_name='conversations')
    op.drop_index('ix_conversations_assignee', table_name='conversations')
    op.drop_table('conversations')
    op.drop_index(op.f('ix_contact_identities_contact_id'), table_name='contact_identities')
    op.drop_table('contact_identities')
    op.drop_table('contacts')
