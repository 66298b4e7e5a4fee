"""A crisis desk with history: the dashboards' stream (two calm days, a wave, 60 posts with every
kind of analysis) in the database, and the app with one user per role on top of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from tests.accounts.fixtures import FakeClock, World, make_world, world
from tests.dashboards.conftest import NOW, Stream, posts, stream

__all__ = ["desk", "posts", "stream", "world"]

DESK_YAML = """\
version: 1
monitors:
  - name: bahn
    query: bahn
  - name: brand
    query: brand
    description: The brand we listen for
  - name: rival
    query: rival
  - name: other
    query: other
"""


@pytest.fixture
def desk(posts: Stream, workspace_file: Path) -> Iterator[tuple[World, Stream]]:
    """The app over the stream's database, its clock at the stream's "now" (40 minutes into the
    wave). The stream's monitors keep their ids: the workspace names them with the same queries."""
    workspace_file.write_text(DESK_YAML, encoding="utf-8")
    worlds = make_world(workspace_file)
    desk_world = next(worlds)
    cast(FakeClock, desk_world.runtime.runner.clock)._now = NOW
    yield desk_world, posts
    next(worlds, None)
