"""What the overview, the monitor page and the post list return (pages and JSON API alike).

Counts are posts; shares are 0…1; every datetime is timezone-aware UTC (the page formats it in the
user's zone and locale). Field names match the chart Protocols in :mod:`crisisdesk.web.charts`, so
a ``SeriesPoint`` or ``SituationMarker`` goes into a chart as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crisisdesk.core.shares import Shares
from crisisdesk.detection.terms import TermMethod

Resolution = Literal["m", "h", "d"]
ChangeKind = Literal["opened", "reopened", "updated", "escalated", "resolved"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Stats(Shares, _Model):
    """Totals over a span: posts, negative and insulting posts, reach (followers of the authors)."""

    volume: int = 0
    negative: int = 0
    insult: int = 0
    reach: int = 0


class SparkPoint(_Model):
    start: datetime
    volume: int
    negative_share: float


class SituationBrief(_Model):
    """An open (or recently changed) situation as the overview lists it."""

    id: int
    monitor_id: int
    monitor: str
    cause: str
    status: str
    severity: int
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    summary: str = ""
    summaries: dict[str, str] = Field(default_factory=dict, description="The summary per language (de, en).")
    top_terms: list[str] = Field(default_factory=list)


class MonitorOverview(_Model):
    monitor_id: int
    name: str
    #: The rolling last 60 minutes (from minute rollups) and the 60 minutes before them.
    last_hour: Stats
    previous_hour: Stats
    #: The last 24 hours.
    day: Stats
    #: ``last_hour.volume / previous_hour.volume − 1``; None when the hour before had no posts.
    change: float | None
    #: Posts per hour, 24 points (oldest first); the last is the current hour so far.
    sparkline: list[SparkPoint]
    sparkline_partial_last: bool = True
    open_situations: list[SituationBrief] = Field(default_factory=list)

    @property
    def max_severity(self) -> int:
        return max((s.severity for s in self.open_situations), default=0)


class SituationChange(_Model):
    """Something that happened to a situation in the last hour (from its timeline)."""

    situation_id: int
    monitor_id: int
    monitor: str
    cause: str
    kind: ChangeKind
    at: datetime
    severity: int
    summary: str = ""
    summaries: dict[str, str] = Field(default_factory=dict, description="The summary per language (de, en).")


class Mover(_Model):
    """A monitor whose volume or negative share moved most between the two last hours."""

    monitor_id: int
    name: str
    metric: Literal["volume", "negative_share"]
    before: float
    after: float
    #: volume: relative change (0.5 = +50 %); negative_share: change in share points (0.1 = +10 pp).
    change: float


class Overview(_Model):
    now: datetime
    monitors: list[MonitorOverview]
    changes: list[SituationChange]
    movers: list[Mover]


class SeriesPoint(Shares, _Model):
    """One bucket of the chart (``step`` long); buckets without posts are present with zeros."""

    start: datetime
    volume: int = 0
    negative: int = 0
    positive: int = 0
    insult: int = 0
    reach: int = 0
    negative_reach: int = 0
    engagement: int = 0


class Series(_Model):
    #: The rollup read (m, h, d) and the step of the points (minutes may be rolled to 5, 10, 15 …).
    resolution: Resolution
    step_seconds: int
    start: datetime
    end: datetime
    points: list[SeriesPoint]


class SituationMarker(_Model):
    id: int
    cause: str
    status: str
    severity: int
    opened_at: datetime
    resolved_at: datetime | None = None
    summary: str = ""
    summaries: dict[str, str] = Field(default_factory=dict, description="The summary per language (de, en).")


class ShareItem(_Model):
    key: str
    volume: int
    negative: int = 0
    #: volume / the total of all items.
    share: float

    @property
    def negative_share(self) -> float:
        return self.negative / self.volume if self.volume else 0.0


class BreakdownPoint(_Model):
    start: datetime
    values: dict[str, int]


class Breakdown(_Model):
    """Counts per key over time (complaint types), at hour or day resolution."""

    resolution: Resolution
    keys: list[str]
    points: list[BreakdownPoint]


class AuthorReach(_Model):
    platform: str
    handle: str | None
    name: str | None
    followers: int
    verified: bool
    #: Posts of this author among the posts read (see ``MonitorPage.sample_posts``).
    posts: int


class MonitorPage(_Model):
    monitor_id: int
    name: str
    start: datetime
    end: datetime
    now: datetime
    totals: Stats
    series: Series
    situations: list[SituationMarker]
    share_of_voice: list[ShareItem]
    complaints: list[ShareItem]
    complaints_over_time: Breakdown
    channels: list[ShareItem]
    languages: list[ShareItem]
    surging_terms: list[str] = Field(description="Words and phrases as people wrote them, best first.")
    surging_hashtags: list[str]
    terms_method: TermMethod = Field(
        TermMethod.SURGING, description="surging: used more than in the period before; frequent: nothing "
        "stood out, the most frequent terms of the range; none: no words in the range.")
    top_authors: list[AuthorReach]
    #: How many posts of the range (and of the period before) were read for terms and authors.
    sample_posts: int
    baseline_posts: int


class PostAuthor(_Model):
    handle: str | None
    name: str | None
    followers: int | None
    verified: bool | None


class PostAttachment(_Model):
    """A file that came with a post, as the platform described it (recorded, not downloaded)."""

    type: str = Field(description="image, video, audio, document, file, sticker, location, link, …")
    url: str | None = Field(None, description="Where it is (a link, or `geo:` for a place).")
    media_id: str | None = Field(None, description="The platform's id to fetch it by, when there is no link.")
    mime_type: str | None = None
    size: int | None = Field(None, description="Bytes.")
    name: str | None = Field(None, description="File name or description.")


def attachment_list(stored: object) -> list[PostAttachment]:
    """The attachments stored with a post (validated when it was ingested; anything else is skipped)."""
    if not isinstance(stored, list):
        return []
    return [PostAttachment.model_validate(a) for a in stored
            if isinstance(a, dict) and isinstance(a.get("type"), str)]


class PostRow(_Model):
    id: int
    platform: str
    external_id: str
    kind: str
    created_at: datetime
    text: str
    lang: str | None
    url: str | None
    author: PostAuthor | None
    likes: int | None
    shares: int | None
    replies: int | None
    sentiment: str | None
    sentiment_score: float | None
    insult: str | None
    insult_kind: str | None
    complaint_types: list[str]
    channel: str | None = Field(None, description="The page, account or inbox it arrived in.")
    conversation_id: str | None = Field(None, description="The thread or chat it belongs to.")
    visibility: Literal["public", "private"] | None = Field(
        None, description="public: everybody can see it (a comment); private: only we can (a message); "
        "null: the source did not say.")
    attachments: list[PostAttachment] = Field(default_factory=list)
    deleted_at: datetime | None = Field(
        None, description="When the author deleted it on the platform; the text is kept for the record.")


class PostPage(_Model):
    items: list[PostRow]
    #: Pass back as ``cursor`` for the next (older) page; None when nothing older matches.
    next_cursor: str | None
    #: True when the page stopped at the bound of posts one page examines (a rare filter or a
    #: search term): it may hold fewer than ``limit`` items and still have a ``next_cursor``,
    #: which then means "search further back".
    partial: bool = False
    #: The oldest time examined (where the next page continues); ``start`` (or None) at the end.
    scanned_until: datetime | None = None


class PostAuthorDetail(PostAuthor):
    """The author as the platform knows them (``external_id``: the platform's own id)."""

    external_id: str


class PostMetrics(_Model):
    """Engagement as last reported by the platform (null: the source did not say)."""

    likes: int | None
    shares: int | None
    replies: int | None
    views: int | None
    saves: int | None = None


class PostAnalysis(_Model):
    """What analysis found, or what a person corrected it to (then the score is 1.0)."""

    sentiment: str | None
    sentiment_score: float | None
    insult: str | None
    insult_score: float | None
    insult_kind: str | None
    complaint_types: list[str]


class LabelCorrectionRead(_Model):
    """A person's verdict on one analysis task, kept for retraining (newest last)."""

    task: str = Field(description="sentiment, insult or complaints")
    label: str = Field(description="The label; for complaints a JSON array of type names.")
    source: str = Field(description="Where it was made: api, cli or web:<user>.")
    created_at: datetime


class PostDetail(_Model):
    """One post with everything known about it."""

    id: int
    platform: str
    external_id: str
    kind: str
    created_at: datetime
    text: str
    lang: str | None
    url: str | None
    in_reply_to: str | None
    conversation_id: str | None
    channel: str | None
    author: PostAuthorDetail | None
    metrics: PostMetrics
    analysis: PostAnalysis
    monitors: list[str] = Field(description="Names of the monitors whose query matched the post.")
    corrections: list[LabelCorrectionRead]
    version: int = Field(description="1, plus one for every change the platform delivered (edits, metrics).")
    ingested_at: datetime
    updated_at: datetime
    visibility: Literal["public", "private"] | None = Field(
        None, description="public: everybody can see it; private: only we can; null: the source did not say.")
    attachments: list[PostAttachment] = Field(default_factory=list)
    deleted_at: datetime | None = Field(None, description="When the author deleted it on the platform.")
    delivery_id: int | None = Field(
        None, description="The channel delivery whose raw body carried it (the platform's own payload); "
        "null for imported posts.")
