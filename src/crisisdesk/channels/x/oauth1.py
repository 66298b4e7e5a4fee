"""OAuth 1.0a request signing (RFC 5849, HMAC-SHA1), which X calls *user context*.

Posting, hiding and deleting act as our account, so X wants them signed with the app's consumer
key and secret and the account's access token and secret. OAuth 1.0a access tokens do not
expire (OAuth 2.0 user tokens last two hours and need a refresh flow with stored, rotating
refresh tokens), which is why crisisdesk uses it. Only the query string and the ``oauth_*``
values are signed: a JSON body is not part of the signature (RFC 5849 §3.4.1.3 signs form bodies
only). Written out here instead of a dependency: it is forty lines, checked against X's example.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit


def escape(value: str) -> str:
    """RFC 3986 percent-encoding: everything but letters, digits and ``-._~``."""
    return quote(value, safe="-._~")


def base_url(url: str) -> str:
    """Scheme and host in lower case, the port only when it is not the default, no query."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path or "/", "", ""))


def signature(method: str, url: str, params: Iterable[tuple[str, str]], *, consumer_secret: str,
              token_secret: str) -> str:
    """The base64 HMAC-SHA1 of the signature base string (method, base URL, sorted parameters)."""
    pairs = sorted((escape(k), escape(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join((method.upper(), escape(base_url(url)), escape(normalized)))
    key = f"{escape(consumer_secret)}&{escape(token_secret)}"
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True, slots=True)
class UserContext:
    """The four secrets of one account on one app."""

    consumer_key: str
    consumer_secret: str
    token: str
    token_secret: str

    def authorization(self, method: str, url: str, query: Iterable[tuple[str, str]] = (), *,
                      nonce: str | None = None, timestamp: int | None = None) -> str:
        """The ``Authorization: OAuth …`` header for one request (``url`` without its query)."""
        oauth = {
            "oauth_consumer_key": self.consumer_key,
            "oauth_nonce": nonce or secrets.token_hex(16),
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": str(timestamp if timestamp is not None else int(time.time())),
            "oauth_token": self.token,
            "oauth_version": "1.0",
        }
        oauth["oauth_signature"] = signature(method, url, [*query, *oauth.items()],
                                             consumer_secret=self.consumer_secret,
                                             token_secret=self.token_secret)
        return "OAuth " + ", ".join(f'{escape(k)}="{escape(v)}"' for k, v in sorted(oauth.items()))
