"""Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from crisisdesk.db import make_engine, migrate
from crisisdesk.models import Base


def test_migrations_match_models_and_are_rerunnable(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        migrate(engine)  # a second run is a no-op
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        pk = inspect(engine).get_pk_constraint("monitor_matches")["constrained_columns"]
        assert pk[:2] == ["monitor_id", "post_created_at"]  # the time-range query is a PK range scan
    finally:
        engine.dispose()
