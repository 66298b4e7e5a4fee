"""Migration 0018 (outbox attachments) goes down to 0017 and up again on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from crisisdesk.db import make_engine, migrate


def _alembic(conn: object, target: str, *, down: bool) -> None:
    import crisisdesk.db

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(crisisdesk.db.__file__).parent / "migrations"))
    cfg.attributes["connection"] = conn
    (command.downgrade if down else command.upgrade)(cfg, target)


def test_0018_down_and_up(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        assert "outbox_attachments" in inspect(engine).get_table_names()
        with engine.begin() as conn:
            _alembic(conn, "0017", down=True)
        assert "outbox_attachments" not in inspect(engine).get_table_names()
        assert "channel_outbox" in inspect(engine).get_table_names()
        with engine.begin() as conn:
            _alembic(conn, "0018", down=False)
        columns = {c["name"] for c in inspect(engine).get_columns("outbox_attachments")}
        assert {
            "filename",
            "content_type",
            "size",
            "sha256",
            "storage_key",
            "uploaded_by",
            "created_at",
            "outbox_item_id",
        } <= columns
    finally:
        engine.dispose()
