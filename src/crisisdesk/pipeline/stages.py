"""The pipeline's stages: small pure functions over typed values.

normalize → dedupe → enrich → match → (store, done by the runner: it owns I/O) → emit.
Each takes a batch and returns a batch, so the same functions serve one process or many.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
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
    printable,
)
from crisisdesk.posts.schemas import (
    ATTACHMENT_PLAIN_FIELDS,
    MAX_COUNT,
    PLAIN_FIELDS,
    POST_ADAPTER,
    PostIn,
    clean_text,
    unstorable,
)
from crisisdesk.sources.matcher import MonitorSet


@dataclass(slots=True)
class NormalizeResult:
    posts: list[NormalizedPost]
    rejections: list[Rejection]


#: How deep objects and arrays may nest inside one post. No platform's payload comes near (a
#: dozen levels); deeper is a broken or hostile item, and the JSON libraries give up at a few
#: hundred levels, so it is refused up front with the field named, the same for every source.
MAX_DEPTH = 64

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:]')


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
        elif err["type"] == "string_unicode":
            parts.append(f"{loc}: contains an unpaired surrogate (such as \\ud800), which is not text")
        elif err["type"] == "less_than_equal" and isinstance(err["input"], int):
            parts.append(f"{loc}: {err['input']} is over the limit of {err['ctx']['le']}")
        elif err["type"] == "int_parsing_size":  # only counts are integers
            parts.append(f"{loc}: {err['input']} is over the limit of {MAX_COUNT}")
        else:
            parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    return "; ".join(parts)


def _too_deep(field: object) -> str:
    name = printable(field) if isinstance(field, str) and field else "(the item)"
    return f"{name}: nested more than {MAX_DEPTH} levels deep (objects and arrays inside each other)"


def depth_problem_text(data: str) -> str | None:
    """The reason when JSON text nests deeper than :data:`MAX_DEPTH`, naming the top-level field.

    Counting brackets first keeps this free for ordinary posts (a handful of brackets).
    """
    if data.count("{") + data.count("[") <= MAX_DEPTH:
        return None
    depth = 0
    key: object = None
    last = ""
    for m in _JSON_TOKEN.finditer(data):
        part = m.group()
        if part == "{" or part == "[":
            depth += 1
            if depth > MAX_DEPTH:
                return _too_deep(key)
        elif part == "}" or part == "]":
            depth -= 1
        elif part == ":":
            if depth == 1:
                try:
                    key = json.loads(last)
                except ValueError:
                    key = last
        else:
            last = part
    return None


def depth_problem(value: object) -> str | None:
    """The reason when a parsed item nests deeper than :data:`MAX_DEPTH` (walked without recursion)."""
    stack: list[tuple[object, int, object]] = [(value, 1, None)]
    while stack:
        node, depth, key = stack.pop()
        if isinstance(node, dict):
            children: Iterable[tuple[object, object]] = node.items()
        elif isinstance(node, list):
            children = ((key, v) for v in node)
        else:
            continue
        if depth > MAX_DEPTH:
            return _too_deep(key)
        for k, v in children:
            if isinstance(v, dict | list):
                stack.append((v, depth + 1, k if depth == 1 else key))
    return None


def raw_json(data: object) -> tuple[str, str | None]:
    """``data`` as JSON text to keep as the raw payload, and the reason it cannot be kept, if any.

    orjson is fast but refuses what a lenient parser let in: lone surrogates, integers beyond 64
    bits, nesting beyond 254 levels. Then the depth is checked first and the stdlib writes the
    rest (with ``\\u`` escapes, as the sender wrote them); the item is never lost for its raw form.
    """
    try:
        text = orjson.dumps(data, default=str).decode()
    except TypeError:
        problem = depth_problem(data)
        if problem:
            return "", problem
        return json.dumps(data, default=str, separators=(",", ":")), None
    return text, depth_problem_text(text)


def _content_hash(p: PostIn) -> str:
    """Fingerprint of everything the post says, to tell a re-delivery from an edit.

    Taken over the validated post (unknown fields already dropped, free text cleaned) with sorted
    keys, so key order and whitespace in the source do not matter.
    """
    return hashlib.blake2b(orjson.dumps(p, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def _handle_key(handle: str | None) -> str:
    """An author known only by handle is keyed ``@handle`` (lower case); a handle so long that the
    key would pass the column's 255 characters is keyed by its hash instead (still one per handle)."""
    key = f"@{(handle or '').lstrip('@').lower()}"
    return key if len(key) <= 255 else "@sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _to_post(p: PostIn, raw: str, item: RawItem) -> NormalizedPost:
    # Runs once per ingested post: positional arguments and few lookups on purpose.
    get = cast("dict[str, Any]", p).get
    platform = p["platform"].value
    a = get("author")
    author = None
    if a and (a.get("id") or a.get("handle")):
        handle = a.get("handle")
        author = AuthorRef(
            platform,
            a.get("id") or _handle_key(handle),
            handle,
            a.get("name"),
            a.get("followers"),
            a.get("verified"),
        )
    m = get("metrics") or {}
    lang = get("lang")
    kind = get("kind")
    visibility = get("visibility")
    attachments = get("attachments")
    return NormalizedPost(
        platform,
        p["id"],
        kind.value if kind else "post",
        p["created_at"].astimezone(UTC),
        p["text"],
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
        _content_hash(p),
        item.source,
        item.position,
        {},
        [],
        visibility.value if visibility else None,
        [{k: v for k, v in a.items() if v is not None} for a in attachments] if attachments else None,
        item.delivery_id,
        get("own") is True,
        m.get("saves"),
    )


def _parse_json_post(data: str) -> PostIn:
    """Parse JSON text, falling back to the lenient stdlib parser for lone surrogate escapes.

    A text cut at a fixed length mid-emoji leaves ``\\ud83d`` alone; that is valid JSON but not
    valid Unicode, and the fast parser refuses it. Losing the post for it would be wrong: the
    surrogate is removed from free text (``clean_text``), and refused with the field named elsewhere.
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
        return POST_ADAPTER.validate_python(_free_text_cleaned(loaded))


def _free_text_cleaned(data: Any) -> Any:
    """``data`` with the author's handle and name and the attachments' names cleaned before
    validation, since their length limit makes pydantic refuse a lone surrogate that
    :func:`clean_text` would remove (a copy: the caller's object is the rejected input, if it
    comes to that)."""
    if not isinstance(data, dict):
        return data
    author = data.get("author")
    if isinstance(author, dict):
        cleaned = {k: clean_text(author[k]) for k in ("handle", "name") if isinstance(author.get(k), str)}
        if any(cleaned[k] is not author[k] for k in cleaned):
            data = {**data, "author": {**author, **cleaned}}
    attachments = data.get("attachments")
    if isinstance(attachments, list):
        names = [a.get("name") if isinstance(a, dict) else None for a in attachments]
        fixed = [clean_text(n) if isinstance(n, str) else n for n in names]
        if any(f is not n for f, n in zip(fixed, names, strict=True)):
            data = {**data, "attachments": [{**a, "name": f} if f is not n else a
                                            for a, n, f in zip(attachments, names, fixed, strict=True)]}
    return data


def _clean_strings(p: PostIn) -> str | None:
    """Clean free text in place; the reason when an identifier, code or link cannot be stored."""
    p["text"] = clean_text(p["text"])
    problems = [f"{name}: {why}" for name in PLAIN_FIELDS
                if (why := unstorable(cast("dict[str, Any]", p).get(name)))]
    author = p.get("author")
    if author:
        if (handle := author.get("handle")) is not None:
            author["handle"] = clean_text(handle)
        if (name := author.get("name")) is not None:
            author["name"] = clean_text(name)
        if why := unstorable(author.get("id")):
            problems.append(f"author.id: {why}")
    for i, attachment in enumerate(p.get("attachments") or ()):
        if (name := attachment.get("name")) is not None:
            attachment["name"] = clean_text(name)
        problems += [f"attachments.{i}.{field}: {why}" for field in ATTACHMENT_PLAIN_FIELDS
                     if (why := unstorable(cast("dict[str, Any]", attachment).get(field)))]
    return "; ".join(problems) or None


def _normalize_one(item: RawItem, max_text_chars: int) -> NormalizedPost | str:
    """The item as a canonical post, or the reason it is refused."""
    data = item.data
    if isinstance(data, str):
        problem = depth_problem_text(data)
        raw = data
    else:
        raw, problem = raw_json(data)
    if problem:
        return problem
    try:
        parsed = (_parse_json_post(data) if isinstance(data, str)
                  else POST_ADAPTER.validate_python(_free_text_cleaned(data)))
    except ValidationError as exc:
        return describe_validation_error(exc)
    # NULs and lone surrogates reach JSON text only as \u escapes: most lines skip the check.
    if not isinstance(data, str) or "\\u" in data:
        problem = _clean_strings(parsed)
        if problem:
            return problem
    if len(parsed["text"]) > max_text_chars:
        return f"text: {len(parsed['text'])} characters, over the limit of {max_text_chars}"
    try:
        return _to_post(parsed, raw, item)
    except OverflowError:  # 0001-01-01T00:00+01:00 is a valid time, but not in UTC
        return f"created_at: {parsed['created_at'].isoformat()} is out of range once converted to UTC"


def normalize(items: Sequence[RawItem], *, max_text_chars: int) -> NormalizeResult:
    """Parse each raw item into a canonical post; a bad item becomes a rejection, never an abort."""
    posts: list[NormalizedPost] = []
    rejections: list[Rejection] = []
    for item in items:
        try:
            result = _normalize_one(item, max_text_chars)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            # Not expected after the checks above; still, one item must not cost its batch.
            result = f"could not be read ({type(exc).__name__}: {exc})"
        if isinstance(result, str):
            rejections.append(Rejection(item.source, item.position, printable(result), item.data))
        else:
            posts.append(result)
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
    """Record which monitors each post matches. Our own accounts' posts (``own``) match none: they
    are what we said, not what is said about us (analytics counts them apart)."""
    theirs = [p for p in posts if not p.own]
    if not theirs or not monitors.names:
        return posts
    for post, names in zip(theirs, monitors.match_many(theirs), strict=True):
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
            "metrics": {"likes": p.likes, "shares": p.shares, "replies": p.replies, "views": p.views,
                        "saves": p.saves},
            **({"enrichment": p.enrichment} if p.enrichment else {}),
        },
    }


def emit(stored: Sequence[StoredPost], at: datetime) -> list[Message]:
    """Events for whatever listens downstream (replay's --events-out, the demo, later detection)."""
    return [post_event(s, at) for s in stored]
