"""One typed settings object: the only place that reads the environment.

Per-deployment values (database URL, API token) come from ``CRISISDESK_*`` environment variables so
that the same ``crisisdesk.yaml`` can move between a laptop and a server without edits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypedDict

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProxyOptions(TypedDict):
    proxy_headers: bool
    forwarded_allow_ips: list[str]


class Settings(BaseSettings):
    """Deployment settings. Every field maps to ``CRISISDESK_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CRISISDESK_", extra="ignore")

    config: Path = Field(
        default=Path("crisisdesk.yaml"),
        description="Workspace file; the --config option wins over this variable.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. "
        "Default: the SQLite file named in the workspace, beside crisisdesk.yaml.",
    )
    database_pool_size: int = Field(
        default=20, ge=1, le=500,
        description="PostgreSQL connections each process keeps open (up to 10 more in a burst, closed "
        "again). Size the server's max_connections for that many per serve or worker process.",
    )
    api_token: str | None = Field(
        default=None, description="Bearer token that POST /api/v1/posts requires."
    )
    batch_size: int = Field(default=1024, ge=1, le=100_000, description="Posts per pipeline batch; "
                            "a multiple of 512 fills the bulk statements exactly.")
    max_text_chars: int = Field(
        default=20_000, ge=1, description="Posts with longer text are rejected, not truncated."
    )
    max_body_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024,
        description="Largest HTTP request body `serve` reads, in bytes; a larger one is refused with 413 "
        "before it is read. The default (32 MiB) takes a full API batch (1000 posts) even at "
        "CRISISDESK_MAX_TEXT_CHARS (20,000 characters) each.",
    )
    max_attachment_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024,
        description="Largest file that can be uploaded to go with a reply (POST /api/v1/attachments, the "
        "reply form), in bytes; a larger one is refused with 413. Upload routes are bounded by this "
        "instead of CRISISDESK_MAX_BODY_BYTES. Each channel may take less (WhatsApp images: 5 MB).",
    )
    attachments_dir: Path | None = Field(
        default=None, description="Folder for uploaded reply attachments (kept by their SHA-256). "
        "Default: an attachments folder beside crisisdesk.yaml.",
    )
    import_workers: int | None = Field(
        default=None, ge=0, le=32,
        description="Processes that prepare batches during `import` (0: none; default: one per core "
        "beyond the first, at most 4).",
    )
    data: Path | None = Field(
        default=None, description="Folder of the labelled public data sets for `train` "
        "(default: a shared/data folder above the working directory)."
    )
    secret_key: str | None = Field(
        default=None, description="Signs acknowledgement links. Default: a random key kept in "
        ".crisisdesk-secret beside crisisdesk.yaml (created on first use).",
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto", description="Secure flag of the session cookie. auto: set, except on plain "
        "http to 127.0.0.1/localhost (local development); always or never: force it.",
    )
    trusted_proxies: str = Field(
        default="", description="Comma-separated addresses or networks (CIDR) of the reverse proxies "
        "whose X-Forwarded-For and X-Forwarded-Proto are believed. Default none: the address that "
        "connects is the client's (sign-in throttle, audit log, secure cookies).",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    bus_url: str | None = Field(
        default=None, description="redis://HOST:PORT/DB turns on the distributed mode: `serve` processes "
        "become front ends that publish what arrives, `crisisdesk worker` processes do the work (needs "
        "CRISISDESK_DATABASE_URL on PostgreSQL). Default: the embedded mode, everything in one process.",
    )
    bus_prefix: str = Field(default="crisisdesk", pattern=r"^[A-Za-z0-9_.-]{1,64}$",
                            description="Prefix of every Redis key, so that workspaces can share a Redis.")
    bus_claim_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="A message read but not acknowledged for this long (its "
        "worker died or hangs) is handed to another worker.")
    bus_max_deliveries: int = Field(
        default=5, ge=1, le=100, description="A message that failed this many times goes to the "
        "dead letters (`crisisdesk bus dead`), so the rest flows on.")
    ingest_wait_seconds: float = Field(
        default=10.0, ge=0, le=25, description="Distributed mode: how long POST /api/v1/posts waits for the "
        "workers to store its posts, to answer what they stored as the embedded mode does; 0 or a timeout: "
        "it answers with what it queued.")
    lease_seconds: float = Field(
        default=15.0, ge=1, le=600, description="How long the worker that stores and detects may stay "
        "silent before another takes over (distributed mode).")

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        import ipaddress

        entries = [e.strip() for e in value.split(",") if e.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
                                 ) from exc
        return ",".join(entries)

    def proxy_options(self) -> ProxyOptions:
        """uvicorn's options for forwarded headers: believed from the trusted proxies only (uvicorn
        alone would believe any process on 127.0.0.1, which lets a local client pick its address)."""
        trusted = [e for e in self.trusted_proxies.split(",") if e]
        return ProxyOptions(proxy_headers=bool(trusted), forwarded_allow_ips=trusted)

    @field_validator("bus_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r} is not a Redis URL (redis://HOST:PORT/DB, rediss:// or unix://)")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"{value!r} is not a log level (DEBUG, INFO, WARNING, ERROR)")
        return level


def load_settings() -> Settings:
    """Read the environment now (not at import time, so tests can set variables first); a bad
    value is a ConfigError naming the variable, shown as one line by the commands."""
    from pydantic import ValidationError

    from crisisdesk.core.errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"CRISISDESK_{str(e['loc'][0]).upper() if e['loc'] else '?'}: "
                             f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
        raise ConfigError("environment", "", problems) from exc
