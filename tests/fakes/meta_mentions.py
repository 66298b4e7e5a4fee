"""Instagram's mention endpoints, as a responder for :class:`HttpSink` (CHANNEL-APIS.md §1.4).

``GET /v<N>/{ig-user-id}?fields=mentioned_comment.comment_id(<id>){<fields>}`` answers
``{"mentioned_comment": {...}, "id": "<ig-user-id>"}`` with just the fields asked (``media``
expanded with its own ``{...}``); ``mentioned_media.media_id(<id>){...}`` likewise for a caption.
An id nobody mentioned us in, or a comment on media whose comments are off, is refused with error
100 as Meta does; so is a field the node type does not have (``refused_fields`` plays a token or
API version that does not give ``from`` and ``username``). ``POST /v<N>/{ig-user-id}/mentions``
with ``media_id`` (and ``comment_id`` for a comment) and ``message`` creates our comment there and
answers its ``{"id"}``. Replies scripted with :meth:`fail_next` come first, one per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.http_sink import Recorded, Reply
from tests.fakes.meta_graph import graph_error

COMMENT_FIELDS = {"id", "text", "timestamp", "like_count", "username", "from", "media", "hidden"}
MEDIA_FIELDS = {"id", "caption", "timestamp", "permalink", "username", "like_count", "comments_count",
                "media_type", "media_url", "owner"}
MEDIA_OF_COMMENT = {"id", "permalink", "username", "media_product_type", "caption"}


@dataclass
class Mentioning:
    """A comment (``media`` set) or a caption of someone else that @mentions the account."""

    id: str
    text: str
    at: datetime
    username: str
    scoped_id: str
    likes: int = 0
    comments: int = 0
    media: str | None = None  # the media a comment is on
    media_owner: str = "someone"
    comments_off: bool = False

    def permalink(self) -> str:
        return f"https://www.instagram.com/p/{self.media or self.id}/"


@dataclass
class ReplyMade:
    media_id: str
    comment_id: str | None
    message: str
    id: str


def _split(fields: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(fields + ","):
        depth += {"(": 1, ")": -1, "{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            if fields[start:i]:
                out.append(fields[start:i])
            start = i + 1
    return out


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class GraphMentions:
    def __init__(self, token: str, account_id: str, items: list[Mentioning]) -> None:
        self.token = token
        self.account_id = account_id
        self.items = {i.id: i for i in items}
        self.refused_fields: set[str] = set()
        self.replies: list[ReplyMade] = []
        self._failures: list[Reply] = []

    def fail_next(self, *replies: Reply) -> None:
        self._failures.extend(replies)

    def __call__(self, rec: Recorded) -> Reply:
        if rec.headers.get("authorization") != f"Bearer {self.token}":
            return graph_error(190, "Error validating access token: Session has expired", subcode=463)
        if self._failures:
            return self._failures.pop(0)
        path, _, query = rec.path.partition("?")
        match = re.fullmatch(r"/v\d+\.\d+/(\w+)(/mentions)?", path)
        if not match or match.group(1) != self.account_id:
            return graph_error(100, "Unsupported request. Object does not exist", subcode=33)
        if match.group(2):
            return self._reply(rec) if rec.method == "POST" else graph_error(100, "Unsupported get request")
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        asked = re.fullmatch(r"(mentioned_comment|mentioned_media)\.(comment_id|media_id)\((\d+)\)\{(.*)\}",
                             params.get("fields", ""))
        if rec.method != "GET" or not asked:
            return graph_error(100, "(#100) Invalid parameter")
        what, key, ident, fields = asked.groups()
        item = self.items.get(ident)
        comment = what == "mentioned_comment"
        if key != ("comment_id" if comment else "media_id") or item is None \
                or (item.media is not None) != comment:
            return graph_error(100, f"(#100) The {key.replace('_id', '')} {ident} does not mention us")
        if comment and item.comments_off:
            return graph_error(100, "(#100) Comments are disabled on this media")
        answer = self._fields(item, _split(fields), comment)
        if isinstance(answer, Reply):
            return answer
        return Reply(200, {what: answer, "id": self.account_id})

    def _fields(self, item: Mentioning, names: list[str], comment: bool) -> dict[str, Any] | Reply:
        known = COMMENT_FIELDS if comment else MEDIA_FIELDS
        out: dict[str, Any] = {}
        for name in names:
            base, _, sub = name.partition("{")
            if base not in known or base in self.refused_fields:
                node = "IGCommentFromUser" if comment else "ShadowIGMedia"
                return graph_error(100, f"(#100) Tried accessing nonexisting field ({base}) "
                                        f"on node type ({node})")
            value: Any = {
                "id": item.id, "text": item.text, "caption": item.text, "timestamp": _time(item.at),
                "like_count": item.likes, "comments_count": item.comments, "username": item.username,
                "from": {"id": item.scoped_id, "username": item.username}, "permalink": item.permalink(),
                "media_type": "IMAGE", "hidden": False,
            }.get(base)
            if base == "media":
                media = {"id": item.media, "permalink": item.permalink(), "username": item.media_owner,
                         "media_product_type": "FEED", "caption": ""}
                value = {k: media[k] for k in _split(sub.rstrip("}")) if k in MEDIA_OF_COMMENT} if sub \
                    else {"id": item.media}
            out[base] = value
        return out

    def _reply(self, rec: Recorded) -> Reply:
        body = rec.json() if rec.body else {}
        media, comment, message = body.get("media_id"), body.get("comment_id"), body.get("message")
        if not isinstance(message, str) or not message.strip() or not isinstance(media, str):
            return graph_error(100, "(#100) The parameter media_id and message are required")
        target = self.items.get(comment if comment else media)
        if target is None or (target.media if comment else target.id) != media:
            return graph_error(100, "(#100) The mention to reply to was not found")
        made = ReplyMade(media, comment, message, f"1799{len(self.replies) + 1:011d}")
        self.replies.append(made)
        return Reply(200, {"id": made.id})
