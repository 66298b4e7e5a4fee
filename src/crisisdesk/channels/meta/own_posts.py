"""Reading our own page's or account's recent posts with their counts from the Graph API.

Meta's webhooks carry no counts: a page post or an Instagram media arrives without its reactions,
comments or shares, and Instagram's webhooks do not announce our media at all. The list edges do
(Graph API 2026): ``GET /{page-id}/published_posts`` with ``reactions.summary(total_count)``,
``comments.summary(total_count)`` and ``shares``; ``GET /{ig-user-id}/media`` with
``like_count`` and ``comments_count``. Both answer ``{"data": [...], "paging": {"cursors":
{"after"}, "next"}}``, newest first; ``since`` (Unix seconds) limits them to what was published
since then. Each page of the answer is kept as the platform sent it (a delivery), with the time
we read it added as ``read_at`` (identical bytes are stored once, and counts that went back to
an earlier value must still be read again), and the connector's ``parse`` maps it like a
webhook's items: a post we know is updated with its new counts, one we did not know (published
in Meta's own apps) is stored.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson

from crisisdesk.channels.base import Delivery, InboundPost, Unparsed, iso
from crisisdesk.channels.meta.client import GraphClient
from crisisdesk.channels.meta.times import graph_time

log = logging.getLogger(__name__)

#: Items asked per page, and the most pages read per refresh (2,000 posts: more than a brand
#: publishes in the 90 days of the daily read-back; the rest keep their last counts, and the log
#: says so).
PAGE_SIZE = 50
MOST_PAGES = 40
#: Graph error codes that refuse the fields asked rather than the token: 100 (an invalid
#: parameter or metric), 10 and 200 (a permission the token lacks).
FIELD_REFUSALS = frozenset({"100", "10", "200"})


def pages(graph: GraphClient, edge: str, fields: str, since: datetime, now: datetime) -> list[bytes]:
    """Every page of ``edge`` since ``since`` (following ``paging.cursors.after`` while Meta says
    there is a ``next``), each as JSON bytes of Meta's own answer with ``read_at`` (``now``)."""
    out: list[bytes] = []
    params = {"fields": fields, "limit": str(PAGE_SIZE), "since": str(int(since.timestamp()))}
    for _ in range(MOST_PAGES):
        answer = graph.get(edge, **params)
        data = answer.get("data")
        if not isinstance(data, list):
            break
        if data:
            out.append(orjson.dumps({**answer, "read_at": iso(now)}))
        paging = _object(answer.get("paging"))
        after = _object(paging.get("cursors")).get("after")
        if not data or not paging.get("next") or not isinstance(after, str) or not after:
            break
        params["after"] = after
    else:
        log.warning("%s: stopped after %d pages (%d posts) of our posts since %s; older ones keep their "
                    "last counts", edge, MOST_PAGES, MOST_PAGES * PAGE_SIZE, iso(since))
    return out


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def is_listing(payload: object) -> bool:
    """A list edge's answer (``{"data": [...]}``) rather than a webhook envelope (``object``,
    ``entry``): what :func:`pages` stored."""
    return isinstance(payload, dict) and isinstance(payload.get("data"), list) and "object" not in payload


def count(value: object, *path: str) -> int | None:
    """A count at ``path`` in a Graph item (``reactions.summary.total_count``, ``shares.count``),
    None where Meta left it out or gave something that is not a count."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def lifetime_insights(item: object, names: dict[str, str]) -> dict[str, int | None]:
    """A post's or media's lifetime insights expanded in a list answer (``insights.metric(…)``):
    ``{"data": [{"name", "period": "lifetime", "values": [{"value"}]}]}`` (or a ``total_value``),
    as our counts by ``names`` (Meta's metric -> ours); a metric Meta left out stays unknown."""
    out: dict[str, int | None] = {}
    found = item.get("insights") if isinstance(item, dict) else None
    data = found.get("data") if isinstance(found, dict) else None
    for metric in data if isinstance(data, list) else []:
        if not isinstance(metric, dict) or metric.get("name") not in names:
            continue
        values = metric.get("values")
        first = values[0] if isinstance(values, list) and values else None
        value = count(first, "value") if first is not None else count(metric, "total_value", "value")
        out[names[str(metric["name"])]] = value
    return out


def own_post(out: Delivery, item: object, *, platform: str, channel: str, thread: str, text: object,
             at: object, url: object, author: dict[str, str], counts: dict[str, int | None]) -> None:
    """One of our posts from a list edge, with its counts (a count Meta did not give is left
    out, never written as 0); an item without an id or a time is kept as unparsed."""
    ident = item.get("id") if isinstance(item, dict) else None
    moment = graph_time(at)
    if not isinstance(ident, str) or not ident or moment is None:
        out.unparsed.append(Unparsed("one of our posts without an id or a publication time", item))
        return
    post: dict[str, Any] = {
        "platform": platform, "id": ident, "created_at": iso(moment), "kind": "post",
        "text": text if isinstance(text, str) else "", "conversation_id": ident, "channel": channel,
        "author": author, "metrics": {name: value for name, value in counts.items() if value is not None},
    }
    if isinstance(url, str) and url:
        post["url"] = url
    out.posts.append(InboundPost(post, thread=thread.format(id=ident), public=True, own=True))
