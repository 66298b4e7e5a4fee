"""Teams at work: who is on shift, whose turn it is, which teams a person belongs to.

Round robin gives a conversation to the next member on shift after the one who got the last,
in the order the team lists its members, passing over members without an active account, off
shift, or with ``max_open`` open conversations already. The turn is kept in the database (one
row per team, locked while choosing on PostgreSQL), so it survives restarts and two processes
assigning at once do not hand the same person two conversations in a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.inbox.models import Conversation, ConversationStatus, TeamTurn
from crisisdesk.inbox.team_config import TeamConfig


@dataclass(frozen=True, slots=True)
class Pick:
    """The member chosen (None: nobody could take it) and why each other member was passed over."""

    user_id: int | None
    email: str | None
    passed: Mapping[str, str]


def teams_of(teams: Mapping[str, TeamConfig], email: str | None) -> list[str]:
    """The names of the teams ``email`` is a member of (in the order the workspace lists them)."""
    if not email:
        return []
    address = email.lower()
    return [name for name, team in teams.items() if any(m.user == address for m in team.members)]


def on_shift(team: TeamConfig, at: datetime) -> list[str]:
    """The members' addresses whose shift covers ``at`` (a member without one always is)."""
    return [m.user for m in team.members if m.shift is None or m.shift.covers(at)]


def round_robin(session: Session, name: str, team: TeamConfig, now: datetime) -> Pick:
    """The next member on shift after the last one chosen; records the turn when one is found."""
    turn = session.scalars(select(TeamTurn).where(TeamTurn.team == name).with_for_update()).one_or_none()
    members = [m.user for m in team.members]
    accounts: dict[str, int] = dict(
        session.execute(
            select(func.lower(User.email), User.id).where(func.lower(User.email).in_(members), User.active)
        ).all()
    )
    shift = set(on_shift(team, now))
    load: dict[int, int] = {}
    if team.max_open is not None and accounts:
        load = {
            uid: n
            for uid, n in session.execute(
                select(Conversation.assignee_user_id, func.count())
                .where(
                    Conversation.assignee_user_id.in_(list(accounts.values())),
                    Conversation.status == ConversationStatus.OPEN.value,
                )
                .group_by(Conversation.assignee_user_id)
            ).all()
            if uid is not None
        }
    start = 0
    if turn is not None and turn.last_user_id is not None:
        last = next((e for e, uid in accounts.items() if uid == turn.last_user_id), None)
        if last in members:
            start = members.index(last) + 1
    passed: dict[str, str] = {}
    for i in range(len(members)):
        email = members[(start + i) % len(members)]
        uid = accounts.get(email)
        if uid is None:
            passed[email] = "no active account"
        elif email not in shift:
            passed[email] = "off shift"
        elif team.max_open is not None and load.get(uid, 0) >= team.max_open:
            passed[email] = f"{load.get(uid, 0)} open (max_open {team.max_open})"
        else:
            if turn is None:
                session.add(TeamTurn(team=name, last_user_id=uid, updated_at=now))
            else:
                turn.last_user_id, turn.updated_at = uid, now
            session.flush()
            return Pick(uid, email, passed)
    return Pick(None, None, passed)
