"""The workspace: ``crisisdesk.yaml`` (what to listen to) plus the embedded database beside it.

The file is validated as a whole when it is loaded; a mistake names the file, the path inside it
(``monitors[2].query``) and what is wrong, so nobody has to guess which of forty monitors broke.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY, ComplaintType
from crisisdesk.analysis.language import PREFERRED_LANGUAGES, check_languages
from crisisdesk.analysis.transformer import TransformerConfig
from crisisdesk.channels.config import ChannelConfig
from crisisdesk.core.errors import ConfigError, config_path
from crisisdesk.core.zones import DEFAULT_ZONE, check_zone
from crisisdesk.crises.default_types import DEFAULT_TYPES
from crisisdesk.crises.plan_review import ReviewConfig
from crisisdesk.crises.types import CrisisTypeConfig, check_type_references
from crisisdesk.db import sqlite_url
from crisisdesk.detection.config import DetectionConfig, PlaybookConfig
from crisisdesk.escalation.config import (
    DEFAULT_ROLES,
    EscalationConfig,
    PersonConfig,
    check_references,
    unknown_recipients,
)
from crisisdesk.inbox.rules_config import InboxConfig
from crisisdesk.notify.schemas import NotifyConfig
from crisisdesk.settings import Settings
from crisisdesk.sources.query import QuerySyntaxError, parse
from crisisdesk.updates.config import UpdatesConfig, check_plan_references

DEFAULT_DB_FILE = "crisisdesk.db"


_T = TypeVar("_T")


class MonitorConfig(BaseModel):
    """One named boolean query, e.g. ``'"deutsche bahn" OR #db'``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=r"^[\w][\w .\-]*$")
    query: str = Field(min_length=1)
    description: str | None = None


class DatabaseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        default=DEFAULT_DB_FILE,
        description="SQLite file, relative to the workspace file. CRISISDESK_DATABASE_URL wins.",
    )


class AnalysisConfig(BaseModel):
    """Language, sentiment, insult and complaint-type analysis of every ingested post."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    model: str | None = Field(
        default=None, description="A model file of your own (crisisdesk train); default: the shipped one."
    )
    complaint_types: list[ComplaintType] | None = Field(
        default=None, description="Replaces the default complaint taxonomy."
    )
    complaint_model: str | None = Field(
        default=None,
        description="A complaint classifier (crisisdesk train complaints) backing the taxonomy: a post "
        "also gets a type when the classifier is sure enough. Relative to the workspace file.",
    )
    transformers: list[TransformerConfig] = Field(
        default_factory=list,
        description="Local transformer models that replace the linear heads for their task.",
    )
    languages: list[str] = Field(
        default_factory=lambda: list(PREFERRED_LANGUAGES),
        description="The languages your posts are expected in, most expected first (ISO 639-1: de, en, "
        "fr…). A short post leans towards them; [] switches that off.",
    )

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return check_languages(value)


class WorkspaceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    time_zone: str = Field(
        default=DEFAULT_ZONE,
        description="IANA zone the pages show times in for users who chose none (default Europe/Berlin).",
    )
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    playbook: PlaybookConfig = Field(default_factory=PlaybookConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    people: dict[str, PersonConfig] = Field(default_factory=dict)
    roles: dict[str, list[str]] = Field(
        default_factory=dict,
        description=f"Role → people; the playbook's roles are {', '.join(DEFAULT_ROLES)}.",
    )
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)
    monitors: list[MonitorConfig] = Field(default_factory=list)
    channels: list[ChannelConfig] = Field(
        default_factory=list, description="Connected accounts and feeds (see docs/channels/).")
    inbox: InboxConfig = Field(default_factory=InboxConfig, description="Inbox rules (see docs/inbox.md).")
    crisis_types: list[CrisisTypeConfig] = Field(
        default_factory=lambda: list(DEFAULT_TYPES),
        description="Crisis types and their playbooks (see docs/crises.md); giving a list replaces the "
        "defaults.")
    updates: UpdatesConfig = Field(default_factory=UpdatesConfig, description="The status page and e-mail "
                                   "lists of stakeholder updates (see docs/updates.md).")
    contacts_review: ReviewConfig | None = Field(
        default=None, description="Who keeps people, roles and targets current (owner: person:NAME) and "
        "when they are next reviewed (review_by: a date).")

    @field_validator("channels")
    @classmethod
    def _unique_keys(cls, channels: list[ChannelConfig]) -> list[ChannelConfig]:
        return _unique(channels, [c.key for c in channels], "channel key")

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("monitors")
    @classmethod
    def _unique_names(cls, monitors: list[MonitorConfig]) -> list[MonitorConfig]:
        return _unique(monitors, [m.name for m in monitors], "monitor name")


def _unique(items: list[_T], names: list[str], what: str) -> list[_T]:
    """``items`` as they are, or a ValueError naming the first name given twice."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} {name!r} is used twice")
        seen.add(name)
    return items


@dataclass(frozen=True)
class Workspace:
    """A loaded workspace: its file, its validated config and the database it points to."""

    path: Path
    config: WorkspaceConfig
    database_url: str
    #: The version of the configuration stored in the database when that one is in force (then
    #: ``config`` is the stored one, not the file's); None: the file is in force.
    stored_version: int | None = None

    @property
    def root(self) -> Path:
        return self.path.parent


def parse_config(text: str, *, path: str) -> WorkspaceConfig:
    """Validate workspace YAML text; every problem is reported at once, each with its place."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(path, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, "", "expected a mapping at the top (monitors: …)")
    try:
        config = WorkspaceConfig.model_validate(data, context={"env": os.environ})
    except ValidationError as exc:
        problems = "; ".join(f"{config_path(e['loc']) or 'top level'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(path, "", problems) from exc
    errors = []
    for i, monitor in enumerate(config.monitors):
        try:
            parse(monitor.query)
        except QuerySyntaxError as exc:
            errors.append(f"monitors[{i}].query (monitor {monitor.name!r}): {exc}")
    for i, ctype in enumerate(config.analysis.complaint_types or []):
        try:
            parse(ctype.query)
        except QuerySyntaxError as exc:
            errors.append(f"analysis.complaint_types[{i}].query ({ctype.name!r}): {exc}")
    errors.extend(check_references(people=config.people, roles=config.roles,
                                   escalation=config.escalation, targets=set(config.notify.targets)))
    for i, rule in enumerate(config.inbox.rules):
        for j, then in enumerate(rule.then):
            if then.notify is not None:
                errors.extend(unknown_recipients(
                    then.notify.to, f"inbox.rules[{i}].then[{j}].notify.to", people=config.people,
                    roles=config.roles, targets=set(config.notify.targets)))
    taxonomy = config.analysis.complaint_types or DEFAULT_TAXONOMY
    errors.extend(check_type_references(
        config.crisis_types, people=dict(config.people), roles=dict(config.roles),
        saved_replies={r.name for r in config.inbox.saved_replies},
        # the defaults name the default taxonomy's types; with a taxonomy of its own a workspace's
        # default crisis types simply recognise fewer posts by type (their terms still work)
        complaint_types={t.name for t in taxonomy} if "crisis_types" in config.model_fields_set else set()))
    for t, ct in enumerate(config.crisis_types):
        errors.extend(check_plan_references(
            f"crisis_types[{t}].updates", ct.updates or [], people=set(config.people),
            roles=set(config.roles) | set(DEFAULT_ROLES), targets=set(config.notify.targets),
            channels={c.key for c in config.channels}, lists=set(config.updates.email_lists)))
    if config.contacts_review and config.contacts_review.owner:
        owner = config.contacts_review.owner.partition(":")[2]
        if owner not in config.people:
            errors.append(f"contacts_review.owner: unknown person {owner!r}")
    if errors:
        raise ConfigError(path, "", "; ".join(errors))
    return config


def resolve_config_path(explicit: Path | None, settings: Settings) -> Path:
    """--config wins, then CRISISDESK_CONFIG, then ./crisisdesk.yaml."""
    if explicit is not None:
        return explicit
    return settings.config


def load_workspace(config_path: Path, settings: Settings) -> Workspace:
    path = config_path.expanduser()
    if not path.is_file():
        raise ConfigError(
            str(path), "", "no such workspace file (create one with `crisisdesk init`, or pass --config)"
        )
    config = parse_config(path.read_text(encoding="utf-8"), path=str(path))
    if settings.database_url:
        url = settings.database_url
    else:
        db_path = Path(os.path.expanduser(config.database.path))
        if not db_path.is_absolute():
            db_path = path.resolve().parent / db_path
        url = sqlite_url(db_path)
    return Workspace(path=path.resolve(), config=config, database_url=url)


SECRET_FILE = ".crisisdesk-secret"  # noqa: S105 (a file name, not a secret)


def secret_key(workspace: Workspace, settings: Settings) -> str:
    """The key that signs acknowledgement links: CRISISDESK_SECRET_KEY, else a random key kept
    beside the workspace file (created once, readable by its owner only)."""
    if settings.secret_key:
        return settings.secret_key
    path = workspace.root / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if os.stat(path).st_mode & 0o077:  # left readable by others (a copy, an older version)
            os.chmod(path, 0o600)
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    return key


def model_path(workspace: Workspace) -> Path | None:
    """The workspace's own analysis model, resolved relative to the workspace file."""
    model = workspace.config.analysis.model
    if model is None:
        return None
    path = Path(os.path.expanduser(model))
    return path if path.is_absolute() else workspace.root / path


def complaint_model_path(workspace: Workspace) -> Path | None:
    """The workspace's complaint classifier, resolved relative to the workspace file."""
    model = workspace.config.analysis.complaint_model
    if model is None:
        return None
    path = Path(os.path.expanduser(model))
    return path if path.is_absolute() else workspace.root / path


WORKSPACE_TEMPLATE = """\
# crisisdesk workspace
# --------------------
# What crisisdesk listens to. Per-deployment settings (database URL, API token) come from
# environment variables instead, so this file can be shared between a laptop and a server:
#   CRISISDESK_DATABASE_URL   e.g. postgresql+psycopg://crisisdesk@db.example/crisisdesk
#   CRISISDESK_API_TOKEN      the bearer token POST /api/v1/posts requires
version: 1

# Pages show times in each user's own time zone (their preferences), else in this one.
time_zone: Europe/Berlin

database:
  # The embedded SQLite database, relative to this file. Ignored when CRISISDESK_DATABASE_URL is set.
  path: crisisdesk.db

# Analysis of every post: language, sentiment, insults, complaint types (docs/analysis.md).
analysis:
  enabled: true
  # languages: [de, en]               # expected languages, most expected first ([]: no prior)
  # model: models/our-team.npz        # a model trained with `crisisdesk train`; default: shipped
  # complaint_model: models/complaints.npz   # `crisisdesk train complaints`: backs the taxonomy
  # complaint_types:                  # replaces the default taxonomy (see docs/analysis.md)
  #   - name: battery
  #     label_de: Akku
  #     label_en: Battery
  #     query: 'akku* OR battery OR "lädt nicht"'

# Monitors are named boolean queries. Every post that matches one is stored as a match of it.
#   terms            bahn            whole words; a term also matches its #hashtag
#   phrases          "deutsche bahn"
#   hashtags         #db             mentions  @DB_Bahn
#   operators        AND  OR  NOT  -term  ( … )   (adjacent terms mean AND)
#   wildcard         verspät*        words starting with "verspät"
#   fields           lang:de  platform:x  author:name  kind:message
# Matching ignores case and folds German spelling: ä=ae, ö=oe, ü=ue, ß=ss.
# See docs/query-language.md for the whole language.
monitors:
  - name: bahn
    query: '"deutsche bahn" OR #db OR @DB_Bahn OR (bahn AND (verspätung OR ausfall))'
"""
