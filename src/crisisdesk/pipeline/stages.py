"""The pipeline's stages: small pure functions over typed values.

normalize → dedupe → enrich → match → (store, done by the runner: it owns I/O) → emit.
Each takes a batch and returns a batch, so the same functions serve one process or many.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from pydantic import ValidationError

from crisisdesk.bus.base import Message
from crisisdesk.pipeline.enrich import Enricher
from crisisdesk.pipeline.events import (
    AuthorRef,
    DedupeResult,
    NormalizedPost,
    PostKey,
    RawItem,
    Rejection,
    StoredPost,
)
from crisisdesk.posts.schemas import POST_ADAPTER, PostIn
from crisisdesk.sources.matcher import MonitorSet


@dataclass(slots=True)
class NormalizeResult:
    posts: list[NormalizedPost]
    rejections: list[Rejection]


def describe_validation_error(exc: ValidationError) -> str:
    """One line a person can act on: which field, what is wrong with it."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "json_invalid":
            parts.append(f"not valid JSON ({err['ctx'].get('error', err['msg'])})")
        elif err["type"] in ("model_type", "dict_type") and not loc:
            parts.append("expected a JSON object")
        elif err["type"] == "missing":
            parts.append(f"{loc}: required field missing")
        else:
            parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    return "; ".join(parts)


def _clean(value: str | None) -> str | None:
    """Drop NULs and lone surrogates, which PostgreSQL and UTF-8 cannot store."""
    if value is None or (value.isascii() and "\x00" not in value):
        return value
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _content_hash(p: PostIn, text: str) -> str:
    """Fingerprint of everything the post says, to tell a re-delivery from an edit.

    Taken over the validated post (unknown fields already dropped) with sorted keys, so key order
    and whitespace in the source do not matter.
    """
    if text is not p["text"]:
        p = {**p, "text": text}  # cleaned text: orjson refuses lone surrogates
    return hashlib.blake2b(orjson.dumps(p, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def _to_post(p: PostIn, raw: str, item: RawItem, text: str) -> NormalizedPost:
    # Runs once per ingested post: positional arguments and few lookups on purpose.
    get = cast("dict[str, Any]", p).get
    platform = p["platform"].value
    a = get("author")
    author = None
    if a and (a.get("id") or a.get("handle")):
        handle = _clean(a.get("handle"))
        author = AuthorRef(
            platform,
            a.get("id") or f"@{(handle or '').lstrip('@').lower()}",
            handle,
            _clean(a.get("name")),
            a.get("followers"),
            a.get("verified"),
        )
    m = get("metrics") or {}
    lang = get("lang")
    kind = get("kind")
    return NormalizedPost(
        platform,
        p["id"],
        kind.value if kind else "post",
        p["created_at"].astimezone(UTC),
        text,
        lang.lower() if lang else None,
        get("url"),
        get("in_reply_to"),
        get("conversation_id"),
        get("channel"),
        author,
        m.get("likes"),
        m.get("shares"),
        m.get("replies"),
        m.get("views"),
        raw,
        _content_hash(p, text),
        item.source,
        item.position,
    )


def _parse_json_post(data: str) -> PostIn:
    """Parse JSON text, falling back to the lenient stdlib parser for lone surrogate escapes.

    A text cut at a fixed length mid-emoji leaves ``\\ud83d`` alone; that is valid JSON but not
    valid Unicode, and the fast parser refuses it. Losing the post for it would be wrong: the
    surrogate is replaced later (``_clean``) and the post kept.
    """
    try:
        return POST_ADAPTER.validate_json(data)
    except ValidationError as exc:
        if exc.errors()[0]["type"] != "json_invalid" or "\\ud" not in data.lower():
            raise
        try:
            loaded = json.loads(data)
        except ValueError:
            raise exc from None
        return POST_ADAPTER.validate_python(loaded)


def normalize(items: Sequence[RawItem], *, max_text_chars: int) -> NormalizeResult:
    """Parse each raw item into a canonical post; a bad item becomes a rejection, never an abort."""
    posts: list[NormalizedPost] = []
    rejections: list[Rejection] = []
    for item in items:
        data = item.data
        try:
            if isinstance(data, str):
                parsed = _parse_json_post(data)
                raw = data
            else:
                parsed = POST_ADAPTER.validate_python(data)
                raw = orjson.dumps(data, default=str).decode()
        except ValidationError as exc:
            rejections.append(Rejection(item.source, item.position, describe_validation_error(exc), data))
            continue
        text = _clean(parsed["text"]) or ""
        if len(text) > max_text_chars:
            rejections.append(Rejection(
                item.source, item.position,
                f"text: {len(text)} characters, over the limit of {max_text_chars}", data,
            ))
            continue
        posts.append(_to_post(parsed, raw, item, text))
    return NormalizeResult(posts, rejections)


def dedupe(posts: Sequence[NormalizedPost], known: Mapping[PostKey, str]) -> DedupeResult:
    """Split a batch into new posts, changed posts and duplicates.

    ``known`` maps keys already stored to their content hash. Within a batch the later version of a
    post wins, as it would have if the two had arrived in separate batches.
    """
    new: dict[PostKey, NormalizedPost] = {}
    changed: dict[PostKey, NormalizedPost] = {}
    duplicates = 0
    superseded = 0
    for post in posts:
        key = post.key
        earlier = new.get(key) or changed.get(key)
        current_hash = earlier.content_hash if earlier else known.get(key)
        if current_hash == post.content_hash:
            duplicates += 1
        elif earlier is not None:
            (new if key in new else changed)[key] = post
            superseded += 1
        elif key in known:
            changed[key] = post
        else:
            new[key] = post
    return DedupeResult(list(new.values()), list(changed.values()), duplicates, superseded)


def enrich(posts: list[NormalizedPost], enricher: Enricher) -> list[NormalizedPost]:
    """Attach what the enricher found; a language it detects fills ``lang`` when the source gave none."""
    if not posts:
        return posts
    for post, facts in zip(posts, enricher.enrich(posts), strict=True):
        if facts:
            post.enrichment.update(facts)
            if post.lang is None and isinstance(facts.get("lang"), str):
                post.lang = facts["lang"]
    return posts


def match(posts: list[NormalizedPost], monitors: MonitorSet) -> list[NormalizedPost]:
    """Record which monitors each post matches."""
    if not posts or not monitors.names:
        return posts
    for post, names in zip(posts, monitors.match_many(posts), strict=True):
        post.monitors = names
    return posts


def post_event(stored: StoredPost, at: datetime) -> Message:
    p = stored.post
    a = p.author
    return {
        "event": "post.ingested",
        "at": at.isoformat(),
        "action": stored.action,
        # Names with a ":" are not monitors (detection's high-risk phrases share the match pass).
        "monitors": [m for m in p.monitors if ":" not in m],
        "post": {
            "platform": p.platform,
            "id": p.external_id,
            "created_at": p.created_at.isoformat(),
            "kind": p.kind,
            "lang": p.lang,
            "text": p.text,
            "url": p.url,
            "author": None if a is None else {
                "handle": a.handle, "name": a.name, "followers": a.followers, "verified": a.verified,
            },
            "metrics": {"likes": p.likes, "shares": p.shares, "replies": p.replies, "views": p.views},
            **({"enrichment": p.enrichment} if p.enrichment else {}),
        },
    }


def emit(stored: Sequence[StoredPost], at: datetime) -> list[Message]:
    """Events for whatever listens downstream (replay's --events-out, the demo, later detection)."""
    return [post_event(s, at) for s in stored]
