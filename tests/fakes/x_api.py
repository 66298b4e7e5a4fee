"""X API v2 recent search, user lookup and posting as our account, as a responder for :class:`HttpSink`.

Behaves as CHANNEL-APIS.md §5 describes: the bearer token checked (401 problem JSON otherwise),
``since_id`` / ``start_time`` / ``next_token`` / ``max_results`` over an in-memory list of tweets,
newest first, authors and referenced tweets in ``includes``, ``x-rate-limit-*`` headers counting
down per 15-minute window (429 once it is used up), a scripted 429 with a chosen reset, and
problem-JSON errors for bad parameters (what X says about a bad query).

With :class:`UserKeys` it also takes calls as our account, signed with OAuth 1.0a (checked here
from the header, the method, the URL the request arrived at, and its query; a reused nonce or a
stale timestamp is refused like a wrong signature): ``POST /2/tweets`` (replies; 403 for a
duplicate text or a post that is gone), ``PUT /2/tweets/:id/hidden`` (replies in our
conversations only), ``DELETE /2/tweets/:id`` (our posts only) and ``GET /2/users/me``. Those
answer 403 ``unsupported-authentication`` to the app-only bearer token, as X does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, parse_qs, parse_qsl, quote, unquote, urlsplit

from tests.fakes.http_sink import Recorded, Reply

PROBLEMS = "https://api.twitter.com/2/problems/"


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any) -> Reply:
    """An error as X sends it: problem JSON (``type`` names the problem)."""
    return Reply(status, {"title": title, "detail": detail, "type": kind, "status": status, **extra})


def invalid_request(message: str) -> Reply:
    """X's 400 for a bad parameter: a generic ``detail``, the real reason in ``errors[].message``."""
    return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                   PROBLEMS + "invalid-request", errors=[{"parameters": {}, "message": message}])


def forbidden(detail: str) -> Reply:
    return problem(403, "Forbidden", detail)


def not_found(ident: str) -> Reply:
    return problem(404, "Not Found Error", f"Could not find tweet with id: [{ident}].",
                   PROBLEMS + "resource-not-found")


@dataclass(frozen=True)
class UserKeys:
    """The app's consumer key and secret, and the access token and secret of the account ``user_id``."""

    consumer_key: str
    consumer_secret: str
    token: str
    token_secret: str
    user_id: str


def _enc(value: str) -> str:
    return quote(value, safe="-._~")


class XApi:
    def __init__(self, token: str, *, limit: int = 450, window: int = 900,
                 keys: UserKeys | None = None) -> None:
        self.token = token
        self.keys = keys
        self.posted: dict[str, dict[str, Any]] = {}  # posts made as our account, by id
        self.hidden: set[str] = set()
        self.deleted: list[str] = []
        self._nonces: set[str] = set()
        self._posted_ids = itertools.count(1890000000000000001)
        self.limit = limit
        self.window = window
        self.remaining = limit
        self.reset = int(time.time()) + window
        self.tweets: list[dict[str, Any]] = []  # what search finds
        self.originals: dict[str, dict[str, Any]] = {}  # referenced tweets search does not find
        self.users: dict[str, dict[str, Any]] = {}
        self.hidden_authors: set[str] = set()  # authors X leaves out of includes (suspended, …)
        self.matches: Callable[[str, dict[str, Any]], bool] = lambda query, tweet: True
        self.searches: list[dict[str, str]] = []
        self._throttle: list[tuple[int, bool]] = []
        self._tokens: dict[str, tuple[tuple[str | None, ...], int]] = {}
        self._ids = itertools.count(1)

    # --- the test's side ---------------------------------------------------------------------
    def user(self, ident: str, username: str, *, name: str | None = None, followers: int = 0,
             verified: bool = False) -> dict[str, Any]:
        user = {"id": ident, "username": username, "name": name or username, "verified": verified,
                "public_metrics": {"followers_count": followers, "following_count": 1, "tweet_count": 10,
                                   "listed_count": 0}}
        self.users[ident] = user
        return user

    def post(self, ident: str, author_id: str, text: str, created_at: str, **fields: Any) -> dict[str, Any]:
        tweet: dict[str, Any] = {"id": ident, "text": text, "author_id": author_id, "created_at": created_at,
                                 "conversation_id": fields.pop("conversation_id", ident),
                                 "edit_history_tweet_ids": [ident], "lang": fields.pop("lang", "de"),
                                 "public_metrics": fields.pop("public_metrics", {
                                     "retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 4,
                                     "bookmark_count": 0, "impression_count": 50}), **fields}
        self.tweets.append(tweet)
        return tweet

    def throttle(self, reset_in: int, *, legacy: bool = False) -> None:
        """The next search answers 429 with ``x-rate-limit-reset`` ``reset_in`` seconds ahead."""
        self._throttle.append((reset_in, legacy))

    # --- the server's side -------------------------------------------------------------------
    def _limits(self) -> dict[str, str]:
        return {"x-rate-limit-limit": str(self.limit), "x-rate-limit-remaining": str(self.remaining),
                "x-rate-limit-reset": str(self.reset)}

    def __call__(self, rec: Recorded) -> Reply:
        url = urlsplit(rec.path)
        authorization = rec.headers.get("authorization", "")
        as_user = authorization.startswith("OAuth ")
        if as_user and not self._signed(rec, url, authorization):
            return problem(401, "Unauthorized", "Unauthorized")
        if not as_user and authorization != f"Bearer {self.token}":
            return problem(401, "Unauthorized", "Unauthorized")
        now = int(time.time())
        if now >= self.reset:
            self.remaining, self.reset = self.limit, now + self.window
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if self._throttle:
            reset_in, legacy = self._throttle.pop(0)
            headers = {**self._limits(), "x-rate-limit-remaining": "0",
                       "x-rate-limit-reset": str(now + reset_in)}
            body: dict[str, Any] = ({"errors": [{"code": 88, "message": "Rate limit exceeded"}]} if legacy
                                    else {"title": "Too Many Requests", "detail": "Too Many Requests",
                                          "type": "about:blank", "status": 429})
            return Reply(429, body, headers)
        if self.remaining <= 0:
            return Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests",
                               "type": "about:blank", "status": 429}, self._limits())
        self.remaining -= 1
        acting = self._route(rec, url.path)
        if acting is not None:
            if not as_user:
                return problem(403, "Unsupported Authentication", "Authenticating with OAuth 2.0 "
                               "Application-Only is forbidden for this endpoint. Supported authentication "
                               "types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
                               PROBLEMS + "unsupported-authentication")
            reply = acting()
        elif url.path == "/2/tweets/search/recent":
            reply = self._search(params, now)
        elif url.path.startswith("/2/users/by/username/"):
            reply = self._user(url.path.rsplit("/", 1)[-1])
        else:
            reply = problem(404, "Not Found", f"no route {url.path}")
        return Reply(reply.status, reply.body, {**self._limits(), **reply.headers})

    # --- acting as our account ------------------------------------------------------------------
    def _signed(self, rec: Recorded, url: SplitResult, authorization: str) -> bool:
        """Whether the OAuth 1.0a header is our account's, fresh, and signs this very request."""
        if self.keys is None:
            return False
        fields = {unquote(k): unquote(v) for k, v in re.findall(r'([\w]+)="([^"]*)"', authorization)}
        if fields.get("oauth_consumer_key") != self.keys.consumer_key or \
                fields.get("oauth_token") != self.keys.token or \
                fields.get("oauth_signature_method") != "HMAC-SHA1" or \
                not fields.get("oauth_timestamp", "").isdigit() or not fields.get("oauth_nonce"):
            return False
        if abs(time.time() - int(fields["oauth_timestamp"])) > 300 or fields["oauth_nonce"] in self._nonces:
            return False
        signed = [(k, v) for k, v in fields.items() if k.startswith("oauth_") and k != "oauth_signature"]
        query = parse_qsl(url.query, keep_blank_values=True)
        pairs = sorted((_enc(k), _enc(v)) for k, v in [*query, *signed])
        base = "&".join([rec.method, _enc(f"http://{rec.headers['host'].lower()}{url.path}"),
                         _enc("&".join(f"{k}={v}" for k, v in pairs))])
        key = f"{_enc(self.keys.consumer_secret)}&{_enc(self.keys.token_secret)}"
        expected = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, fields.get("oauth_signature", "")):
            return False
        self._nonces.add(fields["oauth_nonce"])
        return True

    def _route(self, rec: Recorded, path: str) -> Callable[[], Reply] | None:
        if path == "/2/tweets" and rec.method == "POST":
            return lambda: self._create(rec.json())
        if path == "/2/users/me" and rec.method == "GET":
            return self._me
        hide = re.fullmatch(r"/2/tweets/(\d+)/hidden", path)
        if hide and rec.method == "PUT":
            return lambda: self._hide(hide.group(1), rec.json())
        delete = re.fullmatch(r"/2/tweets/(\d+)", path)
        if delete and rec.method == "DELETE":
            return lambda: self._delete(delete.group(1))
        return None

    def _known(self) -> dict[str, dict[str, Any]]:
        return {t["id"]: t for t in self.tweets} | self.originals | self.posted

    def _me(self) -> Reply:
        assert self.keys is not None
        return Reply(200, {"data": self.users[self.keys.user_id]})

    def _create(self, body: dict[str, Any]) -> Reply:
        assert self.keys is not None
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return invalid_request("$.text: must not be empty")
        known = self._known()
        parent_id = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        parent = known.get(str(parent_id)) if parent_id is not None else None
        if parent_id is not None and parent is None:
            return forbidden("You attempted to reply to a Tweet that is deleted or not visible to you.")
        if any(t["text"] == text for t in self.posted.values()):
            return forbidden("You are not allowed to create a Tweet with duplicate content.")
        ident = str(next(self._posted_ids))
        tweet: dict[str, Any] = {"id": ident, "text": text, "author_id": self.keys.user_id,
                                 "conversation_id": parent["conversation_id"] if parent else ident,
                                 "edit_history_tweet_ids": [ident]}
        if parent is not None:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
        self.posted[ident] = tweet
        return Reply(201, {"data": {"id": ident, "text": text, "edit_history_tweet_ids": [ident]}})

    def _hide(self, ident: str, body: dict[str, Any]) -> Reply:
        assert self.keys is not None
        if not isinstance(body.get("hidden"), bool):
            return invalid_request("$.hidden: boolean expected")
        known = self._known()
        tweet = known.get(ident)
        if tweet is None:
            return not_found(ident)
        root = known.get(tweet["conversation_id"])
        replied = any(r.get("type") == "replied_to" for r in tweet.get("referenced_tweets", []))
        if not replied or root is None or root["author_id"] != self.keys.user_id:
            return forbidden("You can only hide or unhide replies to conversations you authored.")
        if body["hidden"]:
            self.hidden.add(ident)
        else:
            self.hidden.discard(ident)
        return Reply(200, {"data": {"hidden": body["hidden"]}})

    def _delete(self, ident: str) -> Reply:
        assert self.keys is not None
        tweet = self._known().get(ident)
        if tweet is None:
            return not_found(ident)
        if tweet["author_id"] != self.keys.user_id:
            return forbidden("You are not allowed to delete this Tweet.")
        self.posted.pop(ident, None)
        self.tweets = [t for t in self.tweets if t["id"] != ident]
        self.deleted.append(ident)
        return Reply(200, {"data": {"deleted": True}})

    def _user(self, username: str) -> Reply:
        for user in self.users.values():
            if user["username"].lower() == username.lower():
                return Reply(200, {"data": user})
        missing = {"value": username, "detail": f"Could not find user with username: [{username}].",
                   "title": "Not Found Error", "resource_type": "user", "parameter": "username",
                   "type": PROBLEMS + "resource-not-found"}
        return Reply(200, {"errors": [missing]})

    def _search(self, params: dict[str, str], now: int) -> Reply:
        self.searches.append(params)
        query = params.get("query", "")
        if not query:
            return invalid_request("The `query` query parameter can not be empty")
        if len(query) > 512:
            return invalid_request(f"The `query` param length of {len(query)} is over the limit of 512")
        if "((" in query or query.count("(") != query.count(")"):
            return invalid_request("There were errors processing your request: "
                                   f"Unbalanced parentheses in '{query}'")
        size = int(params.get("max_results", "10"))
        if not 10 <= size <= 100:
            return invalid_request(f"The `max_results` query parameter value [{size}] is not between "
                                   "10 and 100")
        since, start = params.get("since_id"), params.get("start_time")
        if start is not None and datetime.fromisoformat(start).timestamp() < now - 7 * 86400:
            return invalid_request(f"Invalid 'start_time':'{start}'. 'start_time' must be on or after "
                                   "the last 7 days")
        found = [t for t in self.tweets if self.matches(query, t)
                 and (since is None or int(t["id"]) > int(since))
                 and (start is None or datetime.fromisoformat(t["created_at"]).timestamp()
                      >= datetime.fromisoformat(start).timestamp())]
        found.sort(key=lambda t: int(t["id"]), reverse=True)
        key = (query, since, start, str(size))
        offset = 0
        if "next_token" in params:
            known = self._tokens.get(params["next_token"])
            if known is None or known[0] != key:
                return invalid_request(f"The `next_token` query parameter value [{params['next_token']}] "
                                       "is not valid for this request")
            offset = known[1]
        page = found[offset:offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if not page:
            return Reply(200, {"meta": meta})
        meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(found):
            token = f"b26v89c19zqg8o3f{next(self._ids):06d}"
            self._tokens[token] = (key, offset + size)
            meta["next_token"] = token
        return Reply(200, {"data": page, "includes": self._includes(page), "meta": meta})

    def _includes(self, page: list[dict[str, Any]]) -> dict[str, Any]:
        every = {t["id"]: t for t in self.tweets} | self.originals
        refs = [r["id"] for t in page for r in t.get("referenced_tweets", [])]
        referenced = [every[r] for r in refs if r in every]
        authors = dict.fromkeys(t["author_id"] for t in page + referenced)
        users = [self.users[a] for a in authors if a in self.users and a not in self.hidden_authors]
        includes: dict[str, Any] = {"users": users}
        if referenced:
            includes["tweets"] = list({t["id"]: t for t in referenced}.values())
        return includes
