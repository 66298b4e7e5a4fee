"""cluster leases

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 00:40:00

The distributed mode's leases: the duty exactly one worker holds at a time (storing, detecting
and escalating), with its fencing epoch and the generation of the state it keeps in memory.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cluster_leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=255), nullable=False),
    sa.Column('epoch', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('generation', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('expires_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acquired_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cluster_leases'))
    )


def downgrade() -> None:
    op.drop_table('cluster_leases')
