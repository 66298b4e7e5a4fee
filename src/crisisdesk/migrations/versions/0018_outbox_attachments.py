"""outbox attachments: files uploaded to go with replies, linked to the outbox item that sends them

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 14:30:00

A new table only; the bytes live in the attachment store's folder, not in the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AT = crisisdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('outbox_attachments',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('size', _ID, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by', sa.String(length=320), nullable=False),
    sa.Column('uploaded_by_user_id', _ID, nullable=True),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('outbox_item_id', _ID, nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['outbox_item_id'], ['channel_outbox.id'],
                            name=op.f('fk_outbox_attachments_outbox_item_id_channel_outbox'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachments'))
    )
    op.create_index('ix_outbox_attachments_unused', 'outbox_attachments', ['outbox_item_id', 'created_at'],
                    unique=False)
    op.create_index(op.f('ix_outbox_attachments_sha256'), 'outbox_attachments', ['sha256'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbox_attachments_sha256'), table_name='outbox_attachments')
    op.drop_index('ix_outbox_attachments_unused', table_name='outbox_attachments')
    op.drop_table('outbox_attachments')
