"""The demo's inbox in numbers, printed at the end of a run: what the rules did, what the simulated
team did, and what left through the outbox to the platforms' stand-in (and how it ended)."""

from __future__ import annotations

from collections import Counter

from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.channels.models import OutboxItem
from crisisdesk.cli.common import out
from crisisdesk.crises import approval
from crisisdesk.demo.platforms import PlatformSink
from crisisdesk.demo.spokesperson import Spokesperson
from crisisdesk.demo.team import InboxTeam
from crisisdesk.inbox.models import Conversation, ModerationReview, RuleRun


def print_inbox(engine: Engine, team: InboxTeam, platforms: PlatformSink,
                spokesperson: Spokesperson | None = None) -> None:
    with Session(engine) as session:
        conversations = session.scalar(select(func.count()).select_from(Conversation)) or 0
        connected = session.scalar(select(func.count()).select_from(Conversation)
                                   .where(Conversation.channel.is_not(None))) or 0
        tickets = session.scalar(select(func.count()).select_from(Conversation)
                                 .where(Conversation.ticket.is_not(None))) or 0
        runs = {rule: int(n) for rule, n in session.execute(
            select(RuleRun.rule, func.count()).group_by(RuleRun.rule))}
        sent = [(str(action), str(status), int(n)) for action, status, n in session.execute(
            select(OutboxItem.action, OutboxItem.status, func.count())
            .group_by(OutboxItem.action, OutboxItem.status))]
        reviews = {str(status): int(n) for status, n in session.execute(
            select(ModerationReview.status, func.count()).group_by(ModerationReview.status))}
    out.print(f"inbox: {conversations:,} conversations, {connected:,} of them on Voltaro's channels; "
              f"{tickets:,} tickets", highlight=False)
    out.print("inbox rules: " + (", ".join(f"{rule} {count:,}×" for rule, count in sorted(runs.items()))
                                 or "none ran"), highlight=False)
    table = Table("action", "status", "items", title="What the outbox sent to the platforms' stand-in")
    for action, status, count in sorted(sent):
        table.add_row(action, status, f"{count:,}")
    out.print(table)
    calls = Counter((c.platform, c.action) for c in platforms.calls)
    out.print("platform calls: " + (", ".join(f"{p} {a} {n:,}" for (p, a), n in sorted(calls.items()))
                                    or "none"), highlight=False)
    out.print(f"simulated team: {team.taken} conversations taken, {len(team.moves)} moves; "
              "moderation reviews: "
              + (", ".join(f"{status} {n}" for status, n in sorted(reviews.items())) or "none")
              + f"; refused {len(team.refused)}", highlight=False)
    for problem in team.refused[:5]:
        out.print(f"[red]team move refused[/]: {problem}", highlight=False, soft_wrap=True)
    if spokesperson is not None:
        with Session(engine) as session:
            waiting = approval.waiting_count(session)
        out.print(f"approval: {spokesperson.login.name} approved {spokesperson.approved} and sent back "
                  f"{spokesperson.rejected} held public replies; {waiting} waiting in /approvals",
                  highlight=False)
        for problem in spokesperson.refused[:5]:
            out.print(f"[red]approval refused[/]: {problem}", highlight=False, soft_wrap=True)
