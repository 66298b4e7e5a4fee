"""A saved configuration takes effect without a restart: in the saving process at once, in every
other process of the deployment at its next tick; a broken stored text never stops a process."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.service import Actor
from crisisdesk.configuration.models import WorkspaceDocument
from crisisdesk.configuration.service import save
from crisisdesk.core.clock import SystemClock
from crisisdesk.detection.engine import RISK_PREFIX
from crisisdesk.escalation.watch import Watch
from crisisdesk.notify.schemas import NotificationKind
from crisisdesk.notify.service import enqueue
from crisisdesk.pipeline.enrich import NoEnrichment
from crisisdesk.pipeline.events import RawItem
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.sources.models import Monitor, MonitorMatch
from crisisdesk.workspace import WorkspaceConfig, load_workspace
from tests.accounts.fixtures import PASSWORD, FakeClock, World, email_of
from tests.factories import post
from tests.fakes.http_sink import HttpSink
from tests.notify.samples import notification

#: The workspace file has bahn and streik; this keeps bahn, drops streik and adds lufthansa.
NEW = """\
monitors:
  - name: bahn
    query: '"deutsche bahn" OR #db'
  - name: lufthansa
    query: 'lufthansa OR #lh'
detection:
  high_risk_terms: [notlandung]
"""
BROKEN = "monitors:\n  - name: bahn\n    query: 'bahn AND ('\n"
LOG = "crisisdesk.runtime"
EDITOR = Role.CRISIS_LEAD


def runtime_on(workspace_file: Path) -> Runtime:
    settings = Settings()
    return build_runtime(load_workspace(workspace_file, settings), settings, clock=FakeClock())


@pytest.fixture
def runtime(workspace_file: Path) -> Iterator[Runtime]:
    rt = runtime_on(workspace_file)
    yield rt
    rt.close()


def store(rt: Runtime, text: str) -> tuple[int, WorkspaceConfig]:
    """Save a version the way every save path does (validated, audited)."""
    with rt.engine.begin() as conn:
        stored, config = save(conn, text, actor=Actor.system(), at=datetime.now(UTC))
    return stored.version, config


def store_unchecked(rt: Runtime, text: str) -> int:
    """A row no save path would write (a hand edit in the database)."""
    with rt.engine.begin() as conn:
        version: int = conn.execute(insert(WorkspaceDocument).values(
            text=text, created_at=datetime.now(UTC), created_by="psql").returning(WorkspaceDocument.id)
        ).scalar_one()
    return version


def ingest(rt: Runtime, external_id: str, text: str) -> set[str]:
    """One post through the runner; the monitors it is stored as a match of."""
    rt.runner.handle([RawItem("test", 0, post(1, id=external_id, text=text))])
    with Session(rt.engine) as s:
        return set(s.scalars(select(Monitor.name).join(MonitorMatch, MonitorMatch.monitor_id == Monitor.id)
                             .join(Post, Post.id == MonitorMatch.post_id)
                             .where(Post.external_id == external_id)))


def active(rt: Runtime) -> dict[str, bool]:
    with Session(rt.engine) as s:
        return {m.name: m.active for m in s.scalars(select(Monitor))}


def wait_for(condition: Callable[[], object], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_applying_a_saved_configuration_changes_matching_and_detection_at_once(runtime: Runtime) -> None:
    assert ingest(runtime, "before", "Lufthansa streicht Flüge, Streik am Flughafen") == {"streik"}
    old_detector = runtime.runner.detector
    version, config = store(runtime, NEW)
    assert runtime.apply_config(config, version)
    assert runtime.version == version and [m.name for m in runtime.workspace.config.monitors] == [
        "bahn", "lufthansa"]
    assert active(runtime) == {"bahn": True, "streik": False, "lufthansa": True}
    assert ingest(runtime, "after", "Lufthansa streicht Flüge, Streik am Flughafen") == {"lufthansa"}
    assert ingest(runtime, "strike", "Großer Streik heute") == set()  # the removed monitor matches no more
    # detection and escalation were rebuilt for the new monitors, the high-risk phrases recompiled
    detector = runtime.runner.detector
    assert isinstance(detector, Watch) and detector is not old_detector
    assert set(detector.detection.monitor_ids) == {"bahn", "lufthansa"}
    assert RISK_PREFIX + "notlandung" in runtime.runner.monitors.names
    # the same version again, or an older one, changes nothing
    assert not runtime.apply_config(config, version)
    assert not runtime.reload_if_changed()


def test_another_process_picks_the_change_up_at_its_next_look(workspace_file: Path, runtime: Runtime) -> None:
    other = runtime_on(workspace_file)  # a second `serve` process on the same database
    try:
        assert not other.reload_if_changed()  # nothing saved yet: the file stays in force
        version, config = store(runtime, NEW)
        runtime.apply_config(config, version)
        assert ingest(other, "lh1", "Lufthansa verliert Koffer") == set()  # not looked yet
        assert other.reload_if_changed() and other.version == version
        assert ingest(other, "lh2", "Lufthansa verliert Koffer") == {"lufthansa"}
        assert not other.reload_if_changed()
    finally:
        other.close()


def test_a_change_of_who_is_notified_keeps_the_running_detection(runtime: Runtime) -> None:
    """Only targets, people, roles or policies changed: the detection engine (and its state) is
    kept, the escalation is rebuilt; a monitor change rebuilds detection."""
    version, config = store(runtime, NEW)
    runtime.apply_config(config, version)
    before = runtime.runner.detector
    assert isinstance(before, Watch) and before.escalator is None
    version, config = store(runtime, NEW + """\
notify:
  targets:
    ops: {kind: webhook, url: "http://127.0.0.1:9/hook", secret: s3cret-that-is-long-enough}
escalation:
  policies:
    - severity: 1
      steps: [{notify: ["target:ops"]}]
""")
    assert runtime.apply_config(config, version)
    after = runtime.runner.detector
    assert isinstance(after, Watch) and after.detection is before.detection and after.escalator is not None
    version, config = store(runtime, NEW.replace("#lh", "#lufthansa"))
    runtime.apply_config(config, version)
    rebuilt = runtime.runner.detector
    assert isinstance(rebuilt, Watch) and rebuilt.detection is not before.detection


def test_the_analysis_enricher_is_rebuilt_only_when_its_section_changed(runtime: Runtime) -> None:
    enricher = runtime.runner.enricher
    version, config = store(runtime, NEW)
    runtime.apply_config(config, version)
    assert runtime.runner.enricher is enricher
    version, config = store(runtime, NEW + "analysis:\n  enabled: false\n")
    runtime.apply_config(config, version)
    assert isinstance(runtime.runner.enricher, NoEnrichment)


def test_the_dispatcher_delivers_to_a_target_added_while_running(runtime: Runtime) -> None:
    dispatcher = runtime.start_notifications()
    with HttpSink() as sink:
        assert "ops" not in dispatcher.targets
        version, config = store(runtime, NEW + f"""\
notify:
  targets:
    ops:
      kind: webhook
      url: {sink.url}/hook
      secret: s3cret-that-is-long-enough
""")
        runtime.apply_config(config, version)
        assert "ops" in dispatcher.targets
        with Session(runtime.engine) as s, s.begin():
            enqueue(s, key="live-reload:ops", target_name="ops", kind="webhook",
                    notification=notification(kind=NotificationKind.OPENED), clock=SystemClock())
        dispatcher.kick()
        wait_for(lambda: sink.requests)
        assert sink.requests[0].path == "/hook"


def test_the_ticker_applies_a_new_version_and_survives_a_broken_one(
        runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOG)
    broken = store_unchecked(runtime, BROKEN)
    assert not runtime.reload_if_changed()
    assert not runtime.reload_if_changed()  # said once, not at every tick
    problems = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(problems) == 1 and f"configuration version {broken} cannot be applied" in problems[0].message
    assert "keeping the workspace file" in problems[0].message and "monitors[0].query" in problems[0].message
    assert runtime.version is None
    assert [m.name for m in runtime.workspace.config.monitors] == ["bahn", "streik"]
    assert ingest(runtime, "s1", "Streik!") == {"streik"}  # the old configuration still works

    runtime.start_ticker(interval=0.05)
    version, _ = store(runtime, NEW)  # as another process saves it
    wait_for(lambda: runtime.version == version)
    assert ingest(runtime, "lh", "Lufthansa fliegt wieder") == {"lufthansa"}
    assert f"configuration version {version} applied (monitors: bahn, lufthansa)" in caplog.messages
    broken_again = store_unchecked(runtime, BROKEN)
    wait_for(lambda: any(f"version {broken_again} cannot be applied, keeping version {version}" in m
                         for m in caplog.messages))
    assert runtime._ticker is not None and runtime._ticker.is_alive()
    assert runtime.version == version


def test_an_import_with_prepare_workers_keeps_the_configuration_it_started_with(
        workspace_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings()
    rt = build_runtime(load_workspace(workspace_file, settings), settings, clock=FakeClock(),
                       enricher=NoEnrichment(), workers=1)
    try:
        version, config = store(rt, NEW)
        assert not rt.apply_config(config, version)
        assert rt.version is None and "streik" in rt.runner.monitors.names
        assert any("not applied to this import" in m for m in caplog.messages)
    finally:
        rt.close()


# -- the save paths of the running service apply at once --------------------------------------------


def test_put_config_applies_in_the_saving_process(world: World) -> None:
    r = world.client.put("/api/v1/config", json={"text": NEW}, headers=world.bearer(EDITOR))
    assert r.status_code == 200, r.text
    assert world.runtime.version == r.json()["version"]
    assert ingest(world.runtime, "api", "Lufthansa!") == {"lufthansa"}
    summary = world.client.get("/openapi.json").json()["paths"]["/api/v1/config"]["put"]["summary"]
    assert "applies at once" in summary


def test_saving_on_the_settings_page_applies_in_the_saving_process(world: World) -> None:
    c = TestClient(world.client.app, base_url="http://localhost")
    assert c.post("/login", data={"email": email_of(EDITOR), "password": PASSWORD},
                  follow_redirects=False).status_code == 303
    page = c.get("/settings").text
    assert "Changes take effect at once" in page
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match
    assert c.post("/settings", data={"csrf_token": match.group(1), "text": NEW}).status_code == 200
    assert world.runtime.version is not None
    assert ingest(world.runtime, "page", "Lufthansa!") == {"lufthansa"}


def test_a_per_item_change_applies_in_the_saving_process(world: World) -> None:
    r = world.client.put("/api/v1/config/monitors/lufthansa",
                         json={"name": "lufthansa", "query": "lufthansa"}, headers=world.bearer(EDITOR))
    assert r.status_code == 201, r.text
    assert world.runtime.version == r.json()["version"]
    assert ingest(world.runtime, "item", "Lufthansa!") == {"lufthansa"}
