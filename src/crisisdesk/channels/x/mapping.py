"""One stored page of X recent search (``{data[], includes{users[], tweets[]}, meta{}}``) as posts.

Each tweet is joined with its author from ``includes.users`` (a tweet whose author is missing
there still maps, with the author's id only). Replies are kind ``reply`` with ``in_reply_to``;
quotes and original tweets kind ``post``. A **retweet** is stored as a post of its own — it is
somebody spreading the original to their followers, which is what reach is about — with the
original's full text from ``includes.tweets`` prefixed ``RT @author:`` (X's own ``text`` of a
retweet may be cut short); its metrics are those X reports on the retweet. The
thread is ``x:<conversation_id>`` (the id of the thread's first tweet). An **edited** tweet gets
a new id from X, with all versions in ``edit_history_tweet_ids`` (oldest first): it is stored
under the first version's id, marked edited, so that the post is updated instead of doubled.
Tweets are given oldest first, so that a later version is applied after an earlier one. Partial
errors X puts in a 200 answer (a referenced tweet deleted or protected) are kept as unparsed.

A **long post** (over 280 characters) comes with its ``text`` cut at 280 and the whole text in
``note_tweet.text``: the whole text is taken. Photos, videos and GIFs are named by
``attachments.media_keys`` and described in ``includes.media``; each becomes an attachment. A body
whose ``data`` is one tweet (a filtered stream line, a single tweet lookup) maps like a page of one.

**Links.** X puts its ``t.co`` short links in the text and says where they lead in
``entities.urls`` (``note_tweet.entities.urls`` for a long post's whole text): each becomes its
full address (``unwound_url``, else ``expanded_url``), as a person reading the post sees it and a
monitor ``voltaro.com`` finds it. The trailing links X adds for the post's own photos and videos
(an entity with a ``media_key`` of the post's attachments) are dropped: they are attachments.
An entity's ``start``/``end`` (code points) are used only where they hold its ``t.co`` link;
otherwise the link is looked up in the text, and one not found there changes nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson

from crisisdesk.channels.base import Attachment, Delivery, InboundPost, PayloadError, Unparsed, iso

PLATFORM = "x"
#: X's language codes that name no language: undetermined, no text, media / hashtags / links only.
_NO_LANGUAGE = {"und", "zxx", "qme", "qht", "qam", "qct", "qst", "art"}
_RT = re.compile(r"RT @(\w{1,15}):")
#: The link X adds for a post's own photo or video, when its entity does not name the media key.
_MEDIA_LINK = re.compile(r"/status/(\d+)/(?:photo|video)/\d+/?$")
#: A character that would continue a link: a match followed by one is a longer link, not this one.
_LINK_CHAR = re.compile(r"[A-Za-z0-9_\-/]")
#: X's media types as attachment types (an animated GIF is delivered as an MP4 video).
_MEDIA = {"photo": "image", "video": "video", "animated_gif": "video"}


def full_text(tweet: dict[str, Any]) -> Any:
    """The tweet's whole text: ``note_tweet.text`` for a long post (its ``text`` stops at 280
    characters), else ``text``."""
    note = tweet.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"]:
        return note["text"]
    return tweet.get("text")


def _text_entities(tweet: dict[str, Any]) -> list[Any]:
    """The ``entities.urls`` that belong to :func:`full_text`: a long post's own (its ``note_tweet``'s)
    when it gives them, else the tweet's."""
    note = tweet.get("note_tweet")
    holder = tweet
    if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"]:
        holder = note if isinstance(note.get("entities"), dict) else tweet
    entities = holder.get("entities")
    urls = entities.get("urls") if isinstance(entities, dict) else None
    return urls if isinstance(urls, list) else []


def _media_keys(tweet: dict[str, Any]) -> set[str]:
    attached = tweet.get("attachments")
    keys = attached.get("media_keys") if isinstance(attached, dict) else None
    return {str(k) for k in keys} if isinstance(keys, list) else set()


def _free(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return all(end <= s or start >= e for s, e in taken)


def _span(text: str, url: str, entity: dict[str, Any],
          taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Where the link stands in the text: at the entity's offsets when they hold it, else its first
    occurrence not yet taken (and not the start of a longer link); None when it is not there."""
    start, end = entity.get("start"), entity.get("end")
    if (isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool)
            and 0 <= start < end <= len(text) and text[start:end] == url and _free(start, end, taken)):
        return start, end
    found = text.find(url)
    while found >= 0:
        after = found + len(url)
        if _free(found, after, taken) and not (after < len(text) and _LINK_CHAR.match(text[after])):
            return found, after
        found = text.find(url, found + 1)
    return None


def expand_links(text: str, tweet: dict[str, Any], own_media: set[str]) -> str:
    """``text`` (the tweet's :func:`full_text`) with its ``t.co`` links replaced by their full
    address, and the trailing links to the post's own media (keys in ``own_media``) dropped."""
    ident = str(tweet.get("id"))
    spans: list[tuple[int, int, str, bool]] = []  # start, end, replacement, a link to own media
    for entity in _text_entities(tweet):
        if not isinstance(entity, dict) or not isinstance(entity.get("url"), str) or not entity["url"]:
            continue
        url: str = entity["url"]
        where = _span(text, url, entity, [(s, e) for s, e, _, _ in spans])
        if where is None:
            continue
        given = next((v.strip() for v in (entity.get("unwound_url"), entity.get("expanded_url"))
                      if isinstance(v, str) and v.strip()), None)
        key = entity.get("media_key")
        pointer = _MEDIA_LINK.search(given or "")
        media = (str(key) in own_media if key is not None
                 else bool(own_media) and pointer is not None and pointer.group(1) == ident)
        if given is not None or media:  # an entity that says nothing leaves the link (and its place)
            spans.append((where[0], where[1], given or url, media))
    if not spans:
        return text
    spans.sort()
    # the links to own media at the very end (nothing but spaces and other such links after them)
    end = len(text)
    dropped = set()
    for index in range(len(spans) - 1, -1, -1):
        start, stop, _, media = spans[index]
        if not media or text[stop:end].strip():
            break
        dropped.add(index)
        end = start
    parts, cursor = [], 0
    for index, (start, stop, full, _) in enumerate(spans):
        if index in dropped:
            break
        parts.append(text[cursor:start])
        parts.append(full)
        cursor = stop
    parts.append(text[cursor:end])
    joined = "".join(parts)
    return joined.rstrip() if dropped else joined


def _rt_handle(text: Any) -> str | None:
    """The retweeted author's handle from X's own ``RT @handle: …`` text, for when that user is
    not in ``includes.users`` (X includes it only with ``referenced_tweets.id.author_id``)."""
    found = _RT.match(text) if isinstance(text, str) else None
    return found.group(1) if found else None


def _best_variant(variants: Any) -> str | None:
    """The video file of the highest bit rate (X lists MP4s and an HLS playlist without one)."""
    found = [(v.get("bit_rate") if isinstance(v.get("bit_rate"), int) else -1, v["url"])
             for v in variants or [] if isinstance(v, dict) and isinstance(v.get("url"), str)]
    return max(found)[1] if found else None


def _attachments(tweet: dict[str, Any], media: dict[str, dict[str, Any]]) -> list[Attachment]:
    """The tweet's photos, videos and GIFs from ``includes.media``; a key X did not describe (the
    media was not asked for, or is gone) still gives an attachment with the key, of type ``file``."""
    attached = tweet.get("attachments")
    keys = attached.get("media_keys") if isinstance(attached, dict) else None
    found = []
    for key in keys if isinstance(keys, list) else []:
        item = media.get(str(key), {})
        url = item.get("url") or _best_variant(item.get("variants")) or item.get("preview_image_url")
        alt = item.get("alt_text")
        found.append(Attachment(_MEDIA.get(str(item.get("type")), "file"),
                                url=url if isinstance(url, str) else None, media_id=str(key),
                                name=alt if isinstance(alt, str) and alt else None))
    return found


def _user(users: dict[str, dict[str, Any]], author_id: str | None) -> dict[str, Any]:
    if author_id is None:
        return {}
    user = users.get(author_id)
    author: dict[str, Any] = {"id": author_id}
    if user is None:
        return author
    if user.get("username"):
        author["handle"] = str(user["username"])
    if user.get("name"):
        author["name"] = str(user["name"])[:255]
    followers = (user.get("public_metrics") or {}).get("followers_count")
    if isinstance(followers, int) and followers >= 0:
        author["followers"] = followers
    if isinstance(user.get("verified"), bool):
        author["verified"] = user["verified"]
    return author


def _metrics(public: Any) -> dict[str, int]:
    if not isinstance(public, dict):
        return {}

    def count(name: str) -> int | None:
        value = public.get(name)
        return value if isinstance(value, int) and value >= 0 else None

    metrics: dict[str, int] = {}
    shares = [v for v in (count("retweet_count"), count("quote_count")) if v is not None]
    for target, value in (("likes", count("like_count")), ("shares", sum(shares) if shares else None),
                          ("replies", count("reply_count")), ("views", count("impression_count")),
                          ("saves", count("bookmark_count"))):
        if value is not None:
            metrics[target] = value
    return metrics


def _referenced(tweet: dict[str, Any], kind: str) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == kind and ref.get("id") is not None:
            return str(ref["id"])
    return None


_ESCAPES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ESCAPED = re.compile("|".join(_ESCAPES))


def unescape(text: str) -> str:
    """X's text as people wrote it: the API escapes ``&``, ``<`` and ``>`` as HTML does (``AT&amp;T``,
    ``&lt;3``) and nothing else, so only those three are undone, once the links are expanded
    (their entities point into the text as X sent it)."""
    return _ESCAPED.sub(lambda m: _ESCAPES[m.group(0)], text)


def map_tweet(tweet: dict[str, Any], users: dict[str, dict[str, Any]], tweets: dict[str, dict[str, Any]],
              *, channel: str, account: str | None,
              media: dict[str, dict[str, Any]] | None = None) -> InboundPost | Unparsed:
    ident, text, created = tweet.get("id"), full_text(tweet), tweet.get("created_at")
    if ident is None or not isinstance(text, str) or not isinstance(created, str):
        return Unparsed("tweet without id, text or created_at", tweet)
    try:
        created_at = iso(datetime.fromisoformat(created))
    except ValueError:
        return Unparsed(f"tweet with an unreadable created_at {created!r}", tweet)
    ident = str(ident)
    author_id = str(tweet["author_id"]) if tweet.get("author_id") is not None else None
    author = _user(users, author_id)
    replied_to = _referenced(tweet, "replied_to")
    retweeted = _referenced(tweet, "retweeted")
    own_media = _media_keys(tweet)
    original_text: Any = None
    if retweeted is not None and retweeted in tweets:
        original = tweets[retweeted]
        original_author = users.get(str(original.get("author_id")), {}).get("username") or _rt_handle(text)
        original_text = full_text(original)
        if isinstance(original_text, str) and original_author:
            text = f"RT @{original_author}: {expand_links(original_text, original, own_media)}"
        else:
            original_text = None
    if original_text is None:  # the post's own words (a quote's among them), or a retweet's own text
        text = expand_links(text, tweet, own_media)
    text = unescape(text)
    lang = tweet.get("lang")
    handle = author.get("handle")
    url = (f"https://x.com/{handle}/status/{ident}" if handle else f"https://x.com/i/web/status/{ident}")
    conversation = str(tweet["conversation_id"]) if tweet.get("conversation_id") is not None else ident
    history = tweet.get("edit_history_tweet_ids")
    first = str(history[0]) if isinstance(history, list) and history else ident
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": first, "created_at": created_at, "text": text,
        "kind": "reply" if replied_to is not None else "post", "channel": channel, "url": url,
        "lang": None if not isinstance(lang, str) or lang in _NO_LANGUAGE else lang,
        "in_reply_to": replied_to, "conversation_id": conversation,
        "author": author or None, "metrics": _metrics(tweet.get("public_metrics")) or None,
    }
    own = bool(account and isinstance(handle, str) and handle.lower() == account.lower())
    return InboundPost(post, thread=f"{PLATFORM}:{conversation}", public=True, own=own, edited=first != ident,
                       attachments=_attachments(tweet, media or {}))


def map_page(body: bytes, *, channel: str, account: str | None = None) -> Delivery:
    """A page as X sent it; raises :class:`PayloadError` only when it is not a JSON object."""
    try:
        page = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc}") from None
    if not isinstance(page, dict):
        raise PayloadError("a search page is a JSON object")
    includes: dict[str, Any] = page["includes"] if isinstance(page.get("includes"), dict) else {}
    users = {str(u["id"]): u for u in includes.get("users") or [] if isinstance(u, dict) and "id" in u}
    tweets = {str(t["id"]): t for t in includes.get("tweets") or [] if isinstance(t, dict) and "id" in t}
    media = {str(m["media_key"]): m for m in includes.get("media") or []
             if isinstance(m, dict) and "media_key" in m}
    out = Delivery()
    data = page.get("data") or []
    if isinstance(data, dict):  # one tweet: a filtered stream line or GET /2/tweets/:id
        data = [data]
    if not isinstance(data, list):
        out.unparsed.append(Unparsed("search page whose data is not a list", data))
        data = []
    for tweet in reversed(data):  # X gives the newest first
        if not isinstance(tweet, dict):
            out.unparsed.append(Unparsed("tweet that is not an object", tweet))
            continue
        mapped = map_tweet(tweet, users, tweets, channel=channel, account=account, media=media)
        if isinstance(mapped, Unparsed):
            out.unparsed.append(mapped)
        else:
            out.posts.append(mapped)
    for error in page.get("errors") or []:
        title = error.get("title") if isinstance(error, dict) else None
        out.unparsed.append(Unparsed(f"X reported: {title or 'an error'}", error))
    return out
