"""Every table, imported in one place so that Alembic and ``create_all`` see the whole schema."""

from crisisdesk.accounts.models import ApiToken, LoginFailure, User, WebSession
from crisisdesk.analysis.models import LabelCorrection
from crisisdesk.audit.models import AuditEntry
from crisisdesk.channels.models import (
    ChannelCursor,
    ChannelDelivery,
    ChannelHealth,
    OutboxAttachment,
    OutboxItem,
    UnparsedItem,
)
from crisisdesk.cluster.models import ClusterLease
from crisisdesk.configuration.models import WorkspaceDocument
from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.db import Base
from crisisdesk.detection.models import SeriesBucket, SeriesShare, Situation, SituationEvent
from crisisdesk.escalation.models import AckLinkUse, Escalation
from crisisdesk.inbox.models import (
    Contact,
    ContactIdentity,
    Conversation,
    ConversationEvent,
    ConversationWord,
    ModerationReview,
    RuleRun,
)
from crisisdesk.notify.models import Delivery
from crisisdesk.posts.models import Author, Post
from crisisdesk.reports.models import (
    ChannelDay,
    ChannelInsight,
    ImprovementAction,
    QuestionnaireAnswer,
    ReviewNotes,
)
from crisisdesk.sources.models import Monitor, MonitorMatch
from crisisdesk.updates.models import Publication, StakeholderUpdate, Subscriber, UpdateMail, UpdatePlan

__all__ = [
    "AckLinkUse",
    "ApiToken",
    "AuditEntry",
    "Author",
    "Base",
    "ChannelCursor",
    "ChannelDay",
    "ChannelDelivery",
    "ChannelHealth",
    "ChannelInsight",
    "ClusterLease",
    "Contact",
    "ContactIdentity",
    "Conversation",
    "ConversationEvent",
    "ConversationWord",
    "Crisis",
    "CrisisSituation",
    "Delivery",
    "Escalation",
    "ImprovementAction",
    "LabelCorrection",
    "LoginFailure",
    "ModerationReview",
    "Monitor",
    "MonitorMatch",
    "OutboxAttachment",
    "OutboxItem",
    "Post",
    "Publication",
    "QuestionnaireAnswer",
    "ReviewNotes",
    "RuleRun",
    "SeriesBucket",
    "SeriesShare",
    "Situation",
    "SituationEvent",
    "StakeholderUpdate",
    "Subscriber",
    "UnparsedItem",
    "UpdateMail",
    "UpdatePlan",
    "User",
    "WebSession",
    "WorkspaceDocument",
]
