"""stakeholder updates

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 21:10:00

A crisis's update plan, its stakeholder updates and where each was published, the e-mail
lists' subscribers (double opt-in) and the mails queued for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('update_subscribers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('list', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('confirm_hash', sa.String(length=64), nullable=True),
    sa.Column('unsubscribe_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_subscribers')),
    sa.UniqueConstraint('list', 'email', name=op.f('uq_update_subscribers_list_email')),
    sa.UniqueConstraint('unsubscribe_token', name=op.f('uq_update_subscribers_unsubscribe_token'))
    )
    with op.batch_alter_table('update_subscribers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_update_subscribers_confirm_hash'), ['confirm_hash'], unique=False)

    op.create_table('stakeholder_updates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('crisis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('audience', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=True),
    sa.Column('crisis_state', sa.JSON(), nullable=True),
    sa.Column('next_update_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('updated_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=320), nullable=True),
    sa.Column('decided_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('published_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=320), nullable=True),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_stakeholder_updates_crisis_id_crises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stakeholder_updates'))
    )
    with op.batch_alter_table('stakeholder_updates', schema=None) as batch_op:
        batch_op.create_index('ix_stakeholder_updates_crisis', ['crisis_id', 'audience', 'published_at'], unique=False)

    op.create_table('update_mails',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('publication_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('subscriber_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['update_subscribers.id'], name=op.f('fk_update_mails_subscriber_id_update_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_mails')),
    sa.UniqueConstraint('key', name=op.f('uq_update_mails_key'))
    )
    with op.batch_alter_table('update_mails', schema=None) as batch_op:
        batch_op.create_index('ix_update_mails_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_update_mails_publication_id'), ['publication_id'], unique=False)

    op.create_table('update_plans',
    sa.Column('crisis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('audiences', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('updated_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=320), nullable=False),
    sa.Column('seen', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_update_plans_crisis_id_crises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('crisis_id', name=op.f('pk_update_plans'))
    )
    op.create_table('update_publications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('update_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('outbox_item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['update_id'], ['stakeholder_updates.id'], name=op.f('fk_update_publications_update_id_stakeholder_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_publications')),
    sa.UniqueConstraint('update_id', 'channel', name=op.f('uq_update_publications_update_id_channel'))
    )
    with op.batch_alter_table('update_publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_update_publications_update_id'), ['update_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('update_publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_update_publications_update_id'))

    op.drop_table('update_publications')
    op.drop_table('update_plans')
    with op.batch_alter_table('update_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_update_mails_publication_id'))
        batch_op.drop_index('ix_update_mails_due')

    op.drop_table('update_mails')
    with op.batch_alter_table('stakeholder_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_stakeholder_updates_crisis')

    op.drop_table('stakeholder_updates')
    with op.batch_alter_table('update_subscribers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_update_subscribers_confirm_hash'))

    op.drop_table('update_subscribers')
