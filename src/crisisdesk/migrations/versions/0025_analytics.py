"""analytics: the daily rollup of our channels, what platforms report about them, posts.own

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 21:30:00

``channel_days`` counts posts and sums their metrics per UTC day, platform, channel and whether
they are ours; ``channel_insights`` keeps followers, reach and impressions per channel and day.
``posts.own`` and its partial index are only added, so neither database rebuilds ``posts`` (see
0012: a rebuild on SQLite fires the ON DELETE CASCADE of the tables that point at it). The posts
stored before this revision are rolled up once here, all as others' (nothing marked ours before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisisdesk.db


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=255), nullable=False),
    sa.Column('own', sa.Boolean(), nullable=False),
    sa.Column('posts', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('likes', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shares', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('replies', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('views', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('with_views', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('day', 'platform', 'channel', 'own', name=op.f('pk_channel_days'))
    )
    op.create_table('channel_insights',
    sa.Column('channel', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('followers', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reach', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('impressions', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', crisisdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'day', name=op.f('pk_channel_insights'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('own', sa.Boolean(), nullable=True))
        batch_op.create_index('ix_posts_own_created', ['created_at'], unique=False,
                              sqlite_where=sa.text('own'), postgresql_where=sa.text('own'))
    day = ("date(created_at)" if op.get_bind().dialect.name == "sqlite"
           else "CAST(created_at AT TIME ZONE 'UTC' AS DATE)")
    key = f"{day}, platform, COALESCE(channel, '')"
    sums = "count(*), COALESCE(sum(likes), 0), COALESCE(sum(shares), 0), COALESCE(sum(replies), 0), " \
        "COALESCE(sum(views), 0), count(views)"
    op.execute(f"INSERT INTO channel_days (day, platform, channel, own, posts, likes, shares, replies, "  # noqa: S608
               f"views, with_views) SELECT {key}, false, {sums} FROM posts GROUP BY {key}")


def downgrade() -> None:
    op.drop_index('ix_posts_own_created', table_name='posts')
    op.drop_column('posts', 'own')

    op.drop_table('channel_insights')
    op.drop_table('channel_days')
