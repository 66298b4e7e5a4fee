"""Voltaro's own channels in the demo: which accounts the workspace connects, and which of the
scenario's posts reach crisisdesk through them rather than from a file.

A brand's inbox is fed by its accounts: private messages come in over the WhatsApp number and the
Viber bot, comments under the brand's Facebook posts over the page's webhook, press coverage from a
news feed. The scenario marks those posts (``channel`` ``whatsapp:service``, ``facebook:voltaro``,
platform ``news``); :class:`Router` picks them out in stream order, so that the demo can deliver
each one the way the platform would. Everything else (public posts found by listening, e-mail,
reviews) is imported as before.

The credentials are made up for each run and live only in the demo's ``crisisdesk.yaml``: the
demo signs its deliveries with them, and nothing else knows them. ``api_base`` of the accounts
that can send points at the demo's stand-in for the platforms on 127.0.0.1
(:mod:`crisisdesk.demo.platforms`), so that replies and moderation leave through the outbox as
in production, yet nothing the demo does can reach a platform.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import median
from typing import Any, Final

from crisisdesk.demo.people import BRAND_ACCOUNT, FACEBOOK_PAGE, OUTLETS

#: Where the channels that could send would send to: the discard port, where nothing listens.
NOWHERE: Final = "http://127.0.0.1:9"
#: Voltaro's WhatsApp Business account and its service number.
WABA_ID: Final = "102290129340398"
PHONE_NUMBER_ID: Final = "106540352242922"
DISPLAY_NUMBER: Final = "4930555018"


class Way(StrEnum):
    """How a channel's items come."""

    WEBHOOK = "webhook"  # signed POSTs to the web app's /webhooks/{key}
    FEED = "feed"  # entries of a feed the channel fetches


@dataclass(frozen=True)
class DemoChannel:
    key: str
    platform: str
    way: Way
    label: str


WHATSAPP: Final = DemoChannel("voltaro-wa", "whatsapp", Way.WEBHOOK, "WhatsApp number")
VIBER: Final = DemoChannel("voltaro-viber", "viber", Way.WEBHOOK, "Viber bot")
FACEBOOK: Final = DemoChannel("voltaro-fb", "facebook", Way.WEBHOOK, "Facebook page")
PRESS: Final = DemoChannel("voltaro-press", "rss", Way.FEED, "news feed")
CHANNELS: Final = (WHATSAPP, VIBER, FACEBOOK, PRESS)
#: The scenario's service messages by platform → the channel that receives them.
_SERVICE: Final = {"whatsapp": WHATSAPP, "viber": VIBER}


@dataclass(frozen=True, repr=False)
class ChannelSecrets:
    """This run's credentials: one Meta app (its secret signs WhatsApp and Facebook deliveries),
    the page's and the number's tokens, and the Viber bot's token (which signs its callbacks)."""

    meta_app_secret: str
    meta_verify_token: str
    whatsapp_token: str
    page_token: str
    viber_token: str

    @classmethod
    def generate(cls) -> ChannelSecrets:
        return cls(*(secrets.token_urlsafe(24) for _ in range(5)))

    def __repr__(self) -> str:
        return "ChannelSecrets(…)"  # never in a log or a traceback


def channels_yaml(credentials: ChannelSecrets, *, feed_url: str, platforms_url: str = NOWHERE) -> str:
    """The ``channels:`` section of the demo workspace; what the channels send goes to
    ``platforms_url`` (the demo's :class:`~crisisdesk.demo.platforms.PlatformSink`; Viber's under
    ``/viber``), by default nowhere."""
    c = credentials
    viber_base = NOWHERE if platforms_url == NOWHERE else platforms_url.rstrip("/") + "/viber"

    def meta(token: str) -> str:
        return (f'    access_token: "{token}"\n    app_secret: "{c.meta_app_secret}"\n'
                f'    verify_token: "{c.meta_verify_token}"\n    api_base: {platforms_url}\n')

    return (
        "# Voltaro's own accounts. The demo delivers their items itself: each WhatsApp message, Viber\n"
        "# message and comment on the Facebook page is signed as the platform signs it and posted to\n"
        "# this web app's /webhooks/{key}; the press feed is served by the demo on 127.0.0.1. The\n"
        "# credentials are made up for each run; api_base points at the demo's stand-in for the\n"
        "# platforms on 127.0.0.1, so replies and moderation are sent, but never reach anybody.\n"
        "channels:\n"
        f'  - key: {WHATSAPP.key}\n    platform: whatsapp\n    phone_number_id: "{PHONE_NUMBER_ID}"\n'
        + meta(c.whatsapp_token)
        + f'  - key: {VIBER.key}\n    platform: viber\n    auth_token: "{c.viber_token}"\n'
        f"    sender_name: Voltaro\n    api_base: {viber_base}\n"
        f'  - key: {FACEBOOK.key}\n    platform: facebook\n    page_id: "{FACEBOOK_PAGE}"\n'
        + meta(c.page_token)
        + f"  - key: {PRESS.key}\n    platform: rss\n    url: {feed_url}\n"
        # A feed says nothing of its audience: the outlets' median reach stands for it.
        + f"    reach: {int(median(o[3] for o in OUTLETS))}\n"
    )


@dataclass
class Router:
    """Decides, post by post in stream order, which of Voltaro's channels brings a post (None: it
    is imported). It remembers Voltaro's own Facebook posts, whose comments reach the page."""

    page_posts: set[str] = field(default_factory=set)

    def route(self, post: Mapping[str, Any]) -> DemoChannel | None:
        platform, channel = post.get("platform"), post.get("channel")
        if platform in _SERVICE and channel == f"{platform}:service":
            return _SERVICE[platform]
        if platform == "news":
            return PRESS
        if platform != "facebook":
            return None
        author = post.get("author")
        if isinstance(author, Mapping) and author.get("id") == BRAND_ACCOUNT["id"]:
            # The page's own post: published by Voltaro, so imported, not received. Comments under
            # it are the page's (Meta sends them with the page's webhook).
            self.page_posts.add(str(post.get("id")))
            return None
        if post.get("kind") in {"comment", "reply"} and (
                channel == "facebook:voltaro" or post.get("conversation_id") in self.page_posts):
            return FACEBOOK
        return None


def expected(posts: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many of ``posts`` each channel brings (for the summary, and for the tests)."""
    router = Router()
    counts = {c.key: 0 for c in CHANNELS}
    for post in posts:
        channel = router.route(post)
        if channel is not None:
            counts[channel.key] += 1
    return counts
