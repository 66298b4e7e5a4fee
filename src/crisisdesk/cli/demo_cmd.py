"""``crisisdesk demo``: the main job on the embedded default, from nothing to a live crisis view.

The whole arc runs for real: the generated posts go through the pipeline, detection opens and
raises situations, the escalation's notifications leave over HTTP to a local sink the demo starts,
a simulated crisis lead acknowledges through the signed link, and the situations resolve.
Meanwhile the web app serves the same runtime on 127.0.0.1, so the arc can be followed (and
acknowledged by hand, with ``--no-auto-ack``) in a browser. The posts that reach a brand over its
own accounts (private messages, comments on its page, press articles) arrive on Voltaro's channels:
as signed webhooks to that web app and from a local news feed (see :mod:`crisisdesk.demo.arrivals`).
They become the inbox's conversations: the workspace's rules answer and hide, a simulated social
media team works them (:mod:`crisisdesk.demo.team`), and what is answered leaves through the
outbox to a local stand-in for the platforms (:mod:`crisisdesk.demo.platforms`).
"""

from __future__ import annotations

import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.live import Live
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.bus.base import Message
from crisisdesk.channels.processor import DeliveryProcessor
from crisisdesk.channels.sending import OutboxSender
from crisisdesk.cli.common import err, friendly_errors, out
from crisisdesk.cli.ingest_cmds import parse_speed
from crisisdesk.core.clock import StreamClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.demo.arrivals import Arrivals
from crisisdesk.demo.dashboard import POST_EVENT, LiveDashboard
from crisisdesk.demo.dashboard_alerts import AlertFeed, SituationBoard, channel, stamp, timeline_line
from crisisdesk.demo.dashboard_channels import ChannelBoard
from crisisdesk.demo.feed import NewsFeed
from crisisdesk.demo.inbox_summary import print_inbox
from crisisdesk.demo.mailbox import DemoMailbox
from crisisdesk.demo.own_channels import CHANNELS, PHONE_NUMBER_ID, ChannelSecrets, Router
from crisisdesk.demo.people import FACEBOOK_PAGE
from crisisdesk.demo.platforms import PlatformSink
from crisisdesk.demo.replay import Channels, replay_scenario
from crisisdesk.demo.responder import CrisisLead, settle
from crisisdesk.demo.scenario import generate_scenario, scenario_end
from crisisdesk.demo.sink import NotificationSink
from crisisdesk.demo.spokesperson import Spokesperson
from crisisdesk.demo.team import ON_DUTY_FROM, InboxTeam
from crisisdesk.demo.update_desk import UpdateDesk
from crisisdesk.demo.web import (
    AGENTS,
    DEFAULT_PORT,
    SPOKESPERSON,
    DemoLogin,
    DemoWebServer,
    bind,
    create_demo_users,
    demo_password,
    webhook_app,
)
from crisisdesk.demo.workspace import CRISIS_LEAD, DEMO_BASE_URL, TARGETS, workspace_yaml
from crisisdesk.inbox.service import answered
from crisisdesk.ingest.importer import IngestRun, RejectsWriter
from crisisdesk.notify import service as outbox
from crisisdesk.pipeline.runner import BatchResult
from crisisdesk.posts.models import Post
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import load_settings
from crisisdesk.workspace import load_workspace, secret_key


def _write_scenario(path: Path, *, seed: int, calm_days: int, crisis_days: int) -> tuple[int, float, int]:
    """Write the generated scenario as canonical JSON Lines; returns (posts, stream seconds, posts
    that arrive on Voltaro's channels)."""
    count = 0
    first = last = None
    router = Router()
    arriving = 0
    with path.open("wb") as f:
        for post in generate_scenario(seed=seed, calm_days=calm_days, crisis_days=crisis_days):
            f.write(orjson.dumps(post) + b"\n")
            count += 1
            arriving += router.route(post) is not None
            last = post["created_at"]
            first = first or last
    if first is None or last is None:
        return 0, 0.0, 0
    span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    return count, span, arriving


@friendly_errors
def demo(
    seconds: Annotated[float, typer.Option(
        "--seconds", help="How long the replay should take on the wall clock.", min=1)] = 60.0,
    speed: Annotated[str | None, typer.Option(
        "--speed", help="Times real time, or 'max'; overrides --seconds.")] = None,
    seed: Annotated[int, typer.Option(help="Scenario seed: the same seed gives the same posts.")] = 7,
    calm_days: Annotated[int, typer.Option(
        "--calm-days", min=1, max=60, help="Days before the crisis (detection learns the usual "
        "daily rhythm from the first two).")] = 7,
    crisis_days: Annotated[int, typer.Option(
        "--crisis-days", min=1, max=14, help="Days of crisis; it runs its course in two.")] = 2,
    keep: Annotated[Path | None, typer.Option(
        "--keep", help="Create the workspace here and keep it (default: a temporary one).",
        file_okay=False)] = None,
    live: Annotated[bool, typer.Option(
        "--live/--no-live", help="Live dashboard (default on a terminal).")] = True,
    web: Annotated[bool, typer.Option(
        "--web/--no-web", help="Serve the web app on the running scenario (127.0.0.1).")] = True,
    port: Annotated[int, typer.Option(
        "--port", min=0, max=65535, help="Port of the web app; a free one when it is taken.")] = DEFAULT_PORT,
    hold: Annotated[bool | None, typer.Option(
        "--hold/--no-hold", help="Keep serving the web app after the replay until Ctrl-C "
        "(default: on a terminal with --web).", show_default=False)] = None,
    auto_ack: Annotated[bool, typer.Option(
        "--auto-ack/--no-auto-ack", help="Let the simulated crisis lead acknowledge the pages; "
        "without it, acknowledging is left to you in the browser.")] = True,
    team: Annotated[bool, typer.Option(
        "--team/--no-team", help="Let the simulated social media team work the inbox during the crisis; "
        "without it, the inbox is all yours.")] = True,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="Run on this database instead of a SQLite file in the workspace, e.g. "
        "postgresql+psycopg://user@host/db; it must hold no posts yet (the demo's go in and stay).",
        show_default=False)] = None,
) -> None:
    """Generate a bilingual brand crisis and replay it through the pipeline, live in the terminal
    and in the browser."""
    root = keep or Path(tempfile.mkdtemp(prefix="crisisdesk-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    config_path = root / "crisisdesk.yaml"
    if keep and config_path.exists():
        raise CrisisdeskError(f"{config_path} exists already; pick an empty --keep directory")
    webhook_secret = secrets.token_urlsafe(24)
    hooks = {name: webhook_secret for name, kind in TARGETS if kind == "webhook"}
    credentials = ChannelSecrets.generate()  # this run's channel secrets: in the file, never printed
    # Bound now, so that the acknowledgement links in the notifications point at this web app.
    # Without the web app, a socket all the same: Voltaro's channels receive their webhooks there.
    sock = bind(port) if web else bind(0)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}" if web else DEMO_BASE_URL
    try:
        with (NotificationSink(hooks) as sink, NewsFeed() as feed, _platforms(credentials) as platforms,
              DemoMailbox() as mailbox):
            config_path.write_text(workspace_yaml(sink.url, webhook_secret=webhook_secret, base_url=base_url,
                                                  channels=credentials, feed_url=feed.url,
                                                  platforms_url=platforms.url, smtp_port=mailbox.port),
                                   encoding="utf-8")
            _run(root, config_path, sink, _Inbound(credentials, feed, platforms, mailbox), seconds=seconds,
                 speed=speed, seed=seed, calm_days=calm_days, crisis_days=crisis_days, live=live, sock=sock,
                 web=web, auto_ack=auto_ack, team=team, database_url=database_url,
                 hold=(out.is_terminal and web) if hold is None else (hold and web))
        if keep:
            out.print(f"The workspace stays in [bold]{root}[/]: try "
                      f"[bold]crisisdesk situations --config {config_path}[/] or "
                      f"[bold]crisisdesk channels list --config {config_path}[/]; the crisis's "
                      f"after-action review: [bold]crisisdesk review CRISIS_ID --config {config_path}[/] "
                      "(ids: the crises page)")
    finally:
        sock.close()
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _holds_posts(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(Post.id).limit(1)).first() is not None


@dataclass(frozen=True)
class _Inbound:
    """What Voltaro's channels need from the run: its secrets, its press feed and the stand-in for
    the platforms they send to."""

    credentials: ChannelSecrets
    feed: NewsFeed
    platforms: PlatformSink
    mailbox: DemoMailbox


def _platforms(credentials: ChannelSecrets) -> PlatformSink:
    """The platforms' stand-in, taking this run's tokens of the page, the number and the bot."""
    return PlatformSink(graph_tokens={credentials.page_token: FACEBOOK_PAGE,
                                      credentials.whatsapp_token: PHONE_NUMBER_ID},
                        viber_token=credentials.viber_token)


def _announce(url: str, logins: tuple[DemoLogin, ...], password: str) -> None:
    first, *others = logins
    also = ", ".join(f"{login.email} ({login.role.value.replace('_', ' ')})" for login in others)
    out.print(f"Web app: {url} — sign in as [bold]{first.email}[/] / [bold]{password}[/] "
              f"({first.role.value.replace('_', ' ')}; same password: {also})",
              highlight=False, soft_wrap=True, markup=True)


def print_timeline(board: SituationBoard) -> None:
    """The timeline entries the board noted since the last call, one line each."""
    for entry in board.drain_log():
        out.print(timeline_line(entry), highlight=False, soft_wrap=True)


def _hold(url: str, logins: tuple[DemoLogin, ...], password: str, show: Callable[[], None],
          every: float = 0.5) -> None:
    """Serve on after the replay until Ctrl-C (or SIGINT); what people do in the browser (or over
    the API) meanwhile goes on the timeline within ``every`` seconds."""
    _announce(url, logins, password)
    out.print("The replay is over; the web app keeps serving until Ctrl-C. Acknowledgements, severity "
              "changes and resolutions made there are shown here.", highlight=False)
    stop = threading.Event()
    try:
        while not stop.wait(every):
            show()
    except KeyboardInterrupt:
        out.print("Stopping the web app.", highlight=False)


def _run(root: Path, config_path: Path, sink: NotificationSink, inbound: _Inbound, *, seconds: float,
         speed: str | None, seed: int, calm_days: int, crisis_days: int, live: bool, sock: socket.socket,
         web: bool, auto_ack: bool, team: bool, hold: bool, database_url: str | None = None) -> None:
    scenario = root / "scenario.jsonl"
    with err.status("generating the scenario…"):
        total, span, arriving = _write_scenario(scenario, seed=seed, calm_days=calm_days,
                                                crisis_days=crisis_days)
    factor = parse_speed(speed) if speed is not None else max(span / seconds, 1.0)
    # The embedded database unless --database-url names one, whatever CRISISDESK_DATABASE_URL says.
    settings = load_settings().model_copy(update={"database_url": database_url})
    workspace = load_workspace(config_path, settings)
    clock = StreamClock()
    runtime = build_runtime(workspace, settings, clock=clock, deliver=True)
    if database_url is not None and _holds_posts(runtime.engine):
        runtime.close()
        raise CrisisdeskError(f"{database_url} holds posts already: give the demo an empty database")
    people = {key: person.name for key, person in workspace.config.people.items()}
    dashboard = LiveDashboard([m.name for m in workspace.config.monitors], title="crisisdesk demo — Voltaro",
                              people=people)
    board = dashboard.alerts
    dashboard.channels = ChannelBoard(CHANNELS)
    # Situation events reach the board from the runner's listeners, whoever caused them (detection,
    # escalation, the simulated lead, a person in the browser or over the API); the bus brings posts.
    feed = AlertFeed()
    runtime.runner.listeners.append(feed)
    lead = CrisisLead(CRISIS_LEAD.targets[0], sink, runtime.runner, secret_key(workspace, settings),
                      types=workspace.config.crisis_types)
    show_live = live and out.is_terminal
    dashboard.fit = show_live
    seen = 0
    password = demo_password()
    # The accounts exist without the web app too: the simulated team acts as its agents.
    logins = create_demo_users(runtime.engine, clock, password)
    # The team is on duty from the first issue (level 2) until the last situation is over.
    agents = InboxTeam(runtime, AGENTS, on_duty=lambda: team and any(
        s.severity >= ON_DUTY_FROM for s in board.open_situations()))
    # Replies and moderation leave through the outbox to the platforms' stand-in: sent after every
    # step, on the stream clock, so that a run is reproducible; after the replay in the background.
    # The sender asks the crisis approval gate and crisis mode, as `serve`'s does: a public reply on a
    # crisis's conversation waits for the spokesperson (simulated too, with the team).
    sender = OutboxSender(lambda: runtime.engine, runtime.connectors, clock=clock, on_sent=answered,
                          on_reauthorize=runtime.credentials_refused, hold=runtime.outbox_hold,
                          approval=runtime.held_for_approval)
    spokesperson = Spokesperson(runtime, SPOKESPERSON)
    desk = UpdateDesk(runtime, SPOKESPERSON)  # publishes the stakeholder updates as they fall due
    server = DemoWebServer(runtime, sock) if web else DemoWebServer(runtime, sock, app=webhook_app(runtime))
    server.start()
    if web:
        _announce(server.url, logins, password)
    arrivals = Arrivals(runtime, server.url, inbound.credentials, inbound.feed, dashboard.channels)

    def after_batch(_result: BatchResult) -> None:
        """Between batches: let the sink catch up, let the lead react, log the arc without a screen."""
        nonlocal seen
        settle(runtime.engine)
        received = sink.received
        for note in received[seen:]:
            board.add_notification(note)
        seen = len(received)
        if auto_ack:
            lead.poll(clock.now())  # its acknowledgements come through the feed, like everyone's
        for move in agents.poll(clock.now()):
            board.note(move.at, "inbox", f"{move.agent} {move.text}")
        if team:
            for move in spokesperson.poll(clock.now()):
                board.note(move.at, "approval", f"{move.agent} {move.text}")
            for move in desk.poll(clock.now()):
                board.note(move.at, "update", f"{move.agent} {move.text}")
        sender.run_once()
        feed.pump(dashboard.observe)
        if not show_live:
            print_timeline(board)

    def posts_only(event: Message) -> None:
        if event.get("event") == POST_EVENT:
            dashboard.observe(event)

    run = IngestRun(runtime.runner, RejectsWriter(root / "scenario.rejects.jsonl"), [("demo", posts_only)])
    pace = "as fast as possible" if factor is None else f"{factor:,.0f}× real time"
    err.print(f"Replaying {total:,} posts ({span / 86400:.1f} days of stream time) {pace}; "
              f"notifications go to the local sink at {sink.url}.", highlight=False)
    err.print(f"{arriving:,} of them arrive on Voltaro's channels: "
              + ", ".join(f"{c.key} ({c.label})" for c in CHANNELS)
              + f"; webhooks to {server.url}/webhooks/{{key}}, the press feed at {inbound.feed.url}.",
              highlight=False, soft_wrap=True)
    runtime.start_notifications()
    channels = Channels(Router(), arrivals.deliver)
    end = scenario_end(calm_days=calm_days, crisis_days=crisis_days)
    try:
        if show_live:
            with Live(dashboard, console=out, refresh_per_second=4, screen=False):
                result = replay_scenario(run, runtime, scenario, factor, after_batch, end, channels)
        else:
            result = replay_scenario(run, runtime, scenario, factor, after_batch, end, channels)
        arrivals.process()
        with Session(runtime.engine) as session:
            deliveries = outbox.counts(session)
        if not show_live:
            out.print(dashboard)
        _print_summary(dashboard.summary(), result.summary.model_dump())
        _print_channels(dashboard.channels, arrivals, arriving)
        _print_lifecycle(board, sink, deliveries, lead)
        sender.run_once()
        print_inbox(runtime.engine, agents, inbound.platforms, spokesperson)
        if runtime.mail_sender is not None:
            runtime.mail_sender.run_once()  # what the lists still owe leaves before the summary
        _print_updates(server.url if web else None, desk, lead, workspace.config.updates.status_page.slug)
        _print_mails(inbound.mailbox)
        if web:
            if hold:
                # From now on, deliveries to the webhooks (by hand, say) are processed as `serve` does.
                runtime.channel_processor = DeliveryProcessor(runtime.process_deliveries)
                runtime.channel_processor.start()
                runtime.outbox_sender = sender  # what people answer in the browser is sent at once
                sender.start()
                feed.pump(dashboard.observe)
                for _ in board.drain_log():
                    pass  # shown above; from here on the terminal prints what people do

                mails_seen = len(inbound.mailbox.mails())

                def show() -> None:
                    nonlocal mails_seen
                    feed.pump(dashboard.observe)
                    print_timeline(board)
                    mails = inbound.mailbox.mails()
                    for mail in mails[mails_seen:]:  # a subscription on the status page: its link
                        link = mail.confirm_link()
                        out.print(f"mail to {', '.join(mail.to)}: {mail.subject}"
                                  + (f" — confirm: {link}" if link else ""), highlight=False)
                    mails_seen = len(mails)

                _hold(server.url, logins, password, show)
            else:
                _announce(server.url, logins, password)
    finally:
        arrivals.close()
        server.stop()
        runtime.close()


def _print_updates(url: str | None, desk: UpdateDesk, lead: CrisisLead, slug: str) -> None:
    """What the spokesperson told the stakeholders, and the crises the lead ended with their reviews
    (with the web app: where to read them)."""
    page = f"{url}/status/{slug}" if url else f"/status/{slug}"
    out.print(f"stakeholder updates: {desk.published} published by {desk.login.name} (status page {page}, "
              "Voltaro's Facebook page, the crisis lead's targets)", highlight=False)
    for problem in desk.refused:
        out.print(f"[red]update refused[/]: {problem}")
    for crisis_id in lead.ended:
        where = f"{url}/crises/{crisis_id}/review" if url else f"crisisdesk review {crisis_id}"
        out.print(f"crisis #{crisis_id} ended by the crisis lead; its after-action review: {where}",
                  highlight=False)


def _print_mails(mailbox: DemoMailbox) -> None:
    """What the demo's mail server received: the lists' updates and any confirmations."""
    mails = mailbox.mails()
    confirmations = sum(1 for m in mails if m.confirm_link())
    people = sorted({to for m in mails for to in m.to})
    out.print(f"mail server: {len(mails)} mails received ({len(mails) - confirmations} updates to the lists, "
              f"{confirmations} confirmations) for {', '.join(people) or 'nobody'}", highlight=False)


def _print_summary(dash: dict[str, object], ingest: dict[str, int]) -> None:
    table = Table("monitor", "matched posts", title="What the monitors caught")
    monitors = dash.get("monitors")
    if isinstance(monitors, dict):
        for name, count in monitors.items():
            table.add_row(str(name), f"{count:,}")
    out.print(table)
    out.print(
        f"posts imported from the scenario file: read {ingest['read']:,}, imported {ingest['imported']:,}, "
        f"duplicates {ingest['duplicates']:,}, rejected {ingest['rejected']:,}"
    )


def _print_channels(board: ChannelBoard, arrivals: Arrivals, expected: int) -> None:
    """What arrived on each channel, against what the scenario sent there."""
    out.print(board.table("What arrived on Voltaro's channels"))
    rows = board.rows.values()
    sent = sum(r.sent for r in rows)
    out.print(f"channel items: {expected:,} in the scenario, {sent:,} delivered, "
              f"{sum(r.received for r in rows):,} received, {sum(r.posts for r in rows):,} posts; "
              f"refused {len(arrivals.refused):,}", highlight=False)
    for refusal in arrivals.refused[:5]:
        out.print(f"[red]delivery refused[/] by {refusal.channel}: HTTP {refusal.status} {refusal.reason}",
                  highlight=False, soft_wrap=True)


def _print_lifecycle(board: SituationBoard, sink: NotificationSink, deliveries: dict[str, int],
                     lead: CrisisLead) -> None:
    """Situations, escalation steps, notifications per target and acknowledgements, for the record."""
    table = Table("#", "monitor", "cause", "opened", "peak", "escalation steps", "acknowledged", "resolved",
                  title="Situations")
    for s in sorted(board.situations.values(), key=lambda s: s.id):
        steps = " ".join(f"{step}" if rnd == 1 else f"{step}/r{rnd}" for step, rnd, _ in s.steps) or "–"
        ack = f"{s.acknowledged_by} {stamp(s.acknowledged_at)}" if s.acknowledged_by else "–"
        table.add_row(str(s.id), s.monitor, s.cause, stamp(s.opened_at), f"{s.peak} {s.peak_name}", steps,
                      ack, stamp(s.resolved_at) if s.status == "resolved" else "still open")
    out.print(table)
    step_count = sum(len(s.steps) for s in board.situations.values())
    out.print(f"{len(board.situations)} situations, {step_count} escalation steps after the first alert, "
              f"{len(board.open_situations())} still open at the end.")
    notes = Table("target", "kind", "received", title="Notifications delivered to the demo sink")
    for (target, kind), count in sorted(board.per_target.items()):
        notes.add_row(target, kind, f"{count:,}")
    out.print(notes)
    refused = len(sink.refused)
    out.print(f"notifications received {sum(board.per_target.values()):,}, refused {refused:,} "
              f"(bad signature); outbox: " + ", ".join(f"{k} {v:,}" for k, v in sorted(deliveries.items())))
    clicks: dict[int, list[tuple[str, datetime | None, int, str | None]]] = {}
    for sid, by, at, stopped, via in board.acknowledgements:
        clicks.setdefault(sid, []).append((by, at, stopped, via))
    for sid, acks in sorted(clicks.items()):
        monitor = board.situations[sid].monitor if sid in board.situations else "?"
        by, first, _, via = acks[0]
        stopped = sum(n for _, _, n, _ in acks)
        again = f", {len(acks)} times (each raise of severity pages again)" if len(acks) > 1 else ""
        out.print(f"acknowledged: #{sid} {monitor} by {by} at {stamp(first)} {channel(via)}{again}; "
                  f"escalations stopped: {stopped}", highlight=False)
    for bad_sid, problem in lead.refused:
        out.print(f"[red]acknowledgement link refused[/] for #{bad_sid}: {problem}")
