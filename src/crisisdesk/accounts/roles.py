"""Roles and what they may do: one literal table, checked on the server for every request.

A permission names a use case, not an endpoint, so that the web pages and the API ask the same
question (``principal.can(Permission.ACKNOWLEDGE)``). Adding a permission means adding it here, to
every role that should have it, to :data:`PERMISSION_DESCRIPTIONS` and to ``docs/accounts.md``; a
test holds the three together.
"""

from __future__ import annotations

from enum import StrEnum

from crisisdesk.accounts.errors import AccountError


class Role(StrEnum):
    ADMIN = "admin"
    CRISIS_LEAD = "crisis_lead"
    SPOKESPERSON = "spokesperson"
    AGENT = "agent"
    ANALYST = "analyst"


class Permission(StrEnum):
    VIEW = "view"
    ACKNOWLEDGE = "acknowledge"
    CHANGE_SEVERITY = "change_severity"
    RESOLVE = "resolve"
    LABEL_POSTS = "label_posts"
    REPLY = "reply"
    MODERATE = "moderate"
    MANAGE_RULES = "manage_rules"
    APPROVE_REPLIES = "approve_replies"
    MANAGE_MONITORS = "manage_monitors"
    MANAGE_NOTIFICATIONS = "manage_notifications"
    MANAGE_ANALYSIS = "manage_analysis"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    INGEST = "ingest"


_P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CRISIS_LEAD: frozenset({
        _P.VIEW, _P.ACKNOWLEDGE, _P.CHANGE_SEVERITY, _P.RESOLVE, _P.LABEL_POSTS, _P.REPLY, _P.MODERATE,
        _P.APPROVE_REPLIES, _P.MANAGE_MONITORS, _P.MANAGE_NOTIFICATIONS, _P.MANAGE_RULES,
    }),
    Role.SPOKESPERSON: frozenset({_P.VIEW, _P.ACKNOWLEDGE, _P.LABEL_POSTS, _P.REPLY, _P.MODERATE,
                                  _P.APPROVE_REPLIES}),
    Role.AGENT: frozenset({_P.VIEW, _P.ACKNOWLEDGE, _P.LABEL_POSTS, _P.REPLY, _P.MODERATE}),
    Role.ANALYST: frozenset({_P.VIEW}),
}

#: What the shared service token (``CRISISDESK_API_TOKEN``) may do: feed posts and labels, no more.
SERVICE_PERMISSIONS: frozenset[Permission] = frozenset({_P.INGEST, _P.LABEL_POSTS})

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.ADMIN: "Everything, including users, API tokens of others and the audit log.",
    Role.CRISIS_LEAD: "Runs a crisis: acknowledges, changes severity, resolves, edits monitors and "
    "notification settings, approves replies.",
    Role.SPOKESPERSON: "Speaks for the organisation: replies and approves official replies.",
    Role.AGENT: "Works the inbox: acknowledges, labels posts, drafts and sends replies.",
    Role.ANALYST: "Reads everything a crisis team sees; changes nothing.",
}

PERMISSION_DESCRIPTIONS: dict[Permission, str] = {
    _P.VIEW: "See situations, posts, dashboards and reports.",
    _P.ACKNOWLEDGE: "Acknowledge a situation (stops its escalation).",
    _P.CHANGE_SEVERITY: "Raise or lower a situation's severity.",
    _P.RESOLVE: "Resolve or reopen a situation.",
    _P.LABEL_POSTS: "Correct the analysis of a post (sentiment, insult, complaint types).",
    _P.REPLY: "Draft and send replies from the inbox.",
    _P.MODERATE: "Hide, unhide and delete comments and block accounts on the connected channels.",
    _P.MANAGE_RULES: "Create, change, reorder and delete inbox rules, and try them on past messages.",
    _P.APPROVE_REPLIES: "Approve replies that need a spokesperson's sign-off.",
    _P.MANAGE_MONITORS: "Create, change and deactivate monitors.",
    _P.MANAGE_NOTIFICATIONS: "Change notification targets, people and escalation policies.",
    _P.MANAGE_ANALYSIS: "Retrain the analysis model from label corrections and put it in force.",
    _P.MANAGE_CHANNELS: "Connect accounts and feeds and change their credentials (never shown again).",
    _P.MANAGE_USERS: "Add users, change roles, disable accounts, revoke anyone's API tokens.",
    _P.VIEW_AUDIT: "Read and export the audit log.",
    _P.INGEST: "Send posts to POST /api/v1/posts.",
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


def parse_role(value: str) -> Role:
    """A role from user input; accepts ``crisis-lead`` and ``Crisis_Lead`` too."""
    try:
        return Role(value.strip().lower().replace("-", "_"))
    except ValueError:
        raise AccountError(
            f"unknown role {value!r}; use one of: {', '.join(r.value for r in Role)}") from None
