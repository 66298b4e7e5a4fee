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
        indexes = {ix["name"] for ix in inspect(engine).get_indexes("monitor_matches")}
        assert "ix_monitor_matches_monitor_time" in indexes
    finally:
        engine.dispose()
