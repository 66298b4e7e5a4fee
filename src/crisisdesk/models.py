"""Every table, imported in one place so that Alembic and ``create_all`` see the whole schema."""

from crisisdesk.analysis.models import LabelCorrection
from crisisdesk.db import Base
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.models import Monitor, MonitorMatch

__all__ = ["Author", "Base", "LabelCorrection", "Monitor", "MonitorMatch", "Post"]
