"""Who posts in the demo: personas, influencers, news outlets, and the ids, links and metrics of posts.

Authors are reused (a few people post a lot, most post once or twice) so that author-level views in
crisisdesk have something to show; follower counts and engagement are heavy-tailed like on real
platforms, which is what makes "top posts by reach" interesting. Everything draws from the one
``random.Random`` passed in, so a seed reproduces the whole scenario.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Final

FIRST: Final = {
    "de": ("Lena", "Jonas", "Mia", "Lukas", "Hannah", "Felix", "Sophie", "Paul", "Lea", "Tim", "Anna",
           "Max", "Marie", "Jan", "Laura", "Niklas", "Julia", "Tobias", "Katrin", "Sven", "Jürgen",
           "Ute", "Özlem", "Mehmet", "Björn", "Sören", "Franzi", "Kai", "Nele", "Moritz"),
    "en": ("Emma", "Oliver", "Amelia", "Jack", "Isla", "Harry", "Ava", "Noah", "Grace", "Leo", "Chloe",
           "Sam", "Ella", "James", "Ruby", "Aidan", "Megan", "Connor", "Priya", "Tom", "Sophie", "Liam",
           "Niamh", "Dan", "Zoe", "Ben", "Hannah", "Ryan", "Kate", "Josh"),
}
LAST: Final = {
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun",
           "Krüger", "Hofmann", "Hartmann", "Lange", "Yilmaz", "Kaya", "Vogel", "Jäger", "Peters"),
    "en": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts",
           "Walsh", "Murphy", "O'Brien", "Patel", "Khan", "Hughes", "Wright", "Green", "Hall", "Wood",
           "Clarke", "Kelly", "Byrne", "Turner", "Cooper", "Ward"),
}
MASTODON_INSTANCES: Final = ("mastodon.social", "chaos.social", "norden.social", "mastodon.online",
                             "fosstodon.org", "social.tchncs.de")
MAIL_DOMAINS: Final = ("mail.example", "posteo.example", "web.example", "gmx.example", "outlook.example")

# (handle, name, lang, platform, followers): the accounts whose posts move a crisis.
INFLUENCERS: Final = (
    ("rollerchecker", "Der Rollerchecker", "de", "x", 412_000),
    ("e_mobil_marie", "Marie | E-Mobil", "de", "instagram", 1_250_000),
    ("techtobi", "Tobi Tech", "de", "x", 286_000),
    ("verbraucherfuchs", "Verbraucherfuchs", "de", "x", 640_000),
    ("stadtradlerin", "Die Stadtradlerin", "de", "bluesky", 95_000),
    ("urbanmoverlondon", "Urban Mover", "en", "instagram", 870_000),
    ("gadgetgrace", "Grace | Gadgets", "en", "x", 1_820_000),
    ("scootsafety", "Scooter Safety UK", "en", "x", 133_000),
    ("commutecam", "Commute Cam", "en", "mastodon", 82_000),
    ("evnerd", "EV Nerd", "en", "bluesky", 210_000),
)
# (name, domain, lang, followers, section): fictional outlets on a reserved TLD.
OUTLETS: Final = (
    ("Tagesecho", "tagesecho.example", "de", 2_400_000, "wirtschaft"),
    ("Wirtschaftsblick", "wirtschaftsblick.example", "de", 910_000, "unternehmen"),
    ("Stadtkurier", "stadtkurier.example", "de", 350_000, "lokales"),
    ("Mobilität Heute", "mobilitaet-heute.example", "de", 120_000, "news"),
    ("The Daily Circuit", "dailycircuit.example", "en", 1_800_000, "tech"),
    ("Mobility Wire", "mobilitywire.example", "en", 420_000, "news"),
    ("The Ledger Post", "ledgerpost.example", "en", 3_100_000, "business"),
)
#: Voltaro's Facebook page: Meta's post ids are ``<page id>_<post id>``, so the demo's are too.
FACEBOOK_PAGE: Final = "104772301"
# Our own accounts, as they appear in the ``channel`` field.
BRAND_ACCOUNT: Final = {"id": "voltaro", "handle": "voltaro", "name": "Voltaro", "followers": 48_300,
                        "verified": True}
_POOL_SIZE: Final = {"x": 1800, "instagram": 1200, "facebook": 1100, "telegram": 400, "mastodon": 500,
                     "bluesky": 500, "email": 900, "whatsapp": 600, "viber": 100, "review": 700}
_FOLLOWERS_LOGNORMAL: Final = {"x": (5.0, 1.7), "instagram": (5.6, 1.6), "facebook": (5.6, 0.8),
                               "telegram": (3.5, 1.2), "mastodon": (4.6, 1.4), "bluesky": (4.8, 1.5)}
_NO_FOLLOWERS: Final = frozenset({"email", "whatsapp", "viber", "review"})


def ascii_fold(text: str) -> str:
    """Handles and addresses are ASCII on every platform, so "Jürgen" becomes "juergen"."""
    table = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "'": "", " ": ""}
    return "".join(table.get(ch, ch) for ch in text.lower())


@dataclass(frozen=True)
class Persona:
    """One account on one platform; ``author`` is what goes into the canonical post."""

    platform: str
    lang: str
    author: dict[str, Any]

    @property
    def handle(self) -> str:
        return str(self.author.get("handle") or self.author.get("name") or "")

    @property
    def followers(self) -> int:
        return int(self.author.get("followers") or 0)


class People:
    """Lazily grown persona pools per (platform, language), with a heavy head of frequent posters."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._pools: dict[tuple[str, str], list[Persona]] = {}
        self._serial = 0

    def pick(self, platform: str, lang: str) -> Persona:
        """A persona; low indexes come up far more often, so some people post many times a week."""
        pool = self._pools.setdefault((platform, lang), [])
        size = _POOL_SIZE.get(platform, 300)
        index = int(size * self._rng.random() ** 2.2)
        while len(pool) <= index:
            pool.append(self._new(platform, lang))
        return pool[index]

    def influencer(self, lang: str) -> Persona:
        options = [i for i in INFLUENCERS if i[2] == lang]
        handle, name, _lang, platform, followers = self._rng.choice(options)
        author = {"id": f"{platform}-{handle}", "handle": handle, "name": name, "followers": followers,
                  "verified": True}
        return Persona(platform, lang, author)

    def outlet(self, lang: str) -> tuple[Persona, str, str]:
        """An outlet persona plus its domain and section, for building the article URL."""
        options = [o for o in OUTLETS if o[2] == lang]
        name, domain, _lang, followers, section = self._rng.choice(options)
        author = {"id": domain, "handle": domain, "name": name, "followers": followers, "verified": True}
        return Persona("news", lang, author), domain, section

    def _new(self, platform: str, lang: str) -> Persona:
        rng = self._rng
        self._serial += 1
        first, last = rng.choice(FIRST[lang]), rng.choice(LAST[lang])
        f, la = ascii_fold(first), ascii_fold(last)
        num = rng.randint(1, 99)
        author: dict[str, Any] = {"name": f"{first} {last}"}
        if platform == "email":
            address = f"{f}.{la}{num}@{rng.choice(MAIL_DOMAINS)}"
            author.update(id=address, handle=address)
        elif platform in {"whatsapp", "viber"}:
            prefix = "+49 15" if lang == "de" else "+44 7"
            author.update(id=f"{prefix}{rng.randint(10_000_000, 99_999_999)}")
        elif platform == "review":
            author.update(id=f"rvu-{100_000 + self._serial}", name=f"{first} {last[0]}.")
        else:
            handle = rng.choice((f"{f}_{la[:1]}{num}", f"{f}{la}", f"{f}.{la}", f"{la}{f[:1]}{num}",
                                 f"{f}_rides", f"{f}{num}"))
            handle = f"{handle}{self._serial % 97}" if rng.random() < 0.3 else handle
            if platform == "mastodon":
                handle = f"{handle}@{rng.choice(MASTODON_INSTANCES)}"
            elif platform == "bluesky":
                handle = f"{handle.replace('_', '-')}.bsky.social"
            author.update(id=f"{platform[:2]}{9_000_000 + self._serial}", handle=handle)
        if platform not in _NO_FOLLOWERS:
            mu, sigma = _FOLLOWERS_LOGNORMAL.get(platform, (4.0, 1.4))
            followers = int(rng.lognormvariate(mu, sigma))
            verified = (followers > 20_000 and rng.random() < 0.6) or rng.random() < 0.003
            author.update(followers=followers, verified=verified)
        return Persona(platform, lang, author)


class Ids:
    """Platform-shaped ids, unique per platform because each comes from that platform's counter."""

    _BASE: Final = {"x": 1_855_200_000_000_000_000, "instagram": 17_960_000_000_000_000,
                    "facebook": 10_161_000_000_000_000, "mastodon": 113_420_000_000_000_000,
                    "telegram": 40_000, "review": 480_000, "news": 0, "email": 0, "whatsapp": 0,
                    "viber": 0, "bluesky": 0}
    _STEP: Final = {"x": 4_194_304, "instagram": 131, "mastodon": 65_536}

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._counters: dict[str, int] = {}

    def next(self, platform: str) -> str:
        n = self._counters.get(platform, 0) + 1
        self._counters[platform] = n
        number = self._BASE.get(platform, 0) + n * self._STEP.get(platform, 1)
        salt = f"{self._rng.getrandbits(32):08x}"
        if platform == "facebook":
            return f"{FACEBOOK_PAGE}_{number}"
        if platform == "telegram":
            return f"-1001620448315:{number}"
        if platform == "email":
            return f"<{salt}.{n}@mx.mail.example>"
        if platform in {"whatsapp", "viber"}:
            return f"wamid.HBgN{n:08d}{salt.upper()}"
        if platform == "bluesky":
            return f"3l{_base32(n * 7_919 + 1_000_000_000)}{salt[:3]}"
        if platform == "review":
            return f"rv-{number}"
        if platform == "news":
            return f"art-{n}-{salt}"
        return str(number)


def _base32(n: int) -> str:
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 32)
        out = alphabet[r] + out
    return out or "2"


def post_url(platform: str, persona: Persona, post_id: str) -> str | None:
    """The public link of a post, where the platform has one (messages do not)."""
    handle = persona.handle
    if platform == "x":
        return f"https://x.com/{handle}/status/{post_id}"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{_base32(int(post_id) % 10**12)}/"
    if platform == "facebook":
        return f"https://www.facebook.com/{post_id.replace('_', '/posts/')}"
    if platform == "mastodon":
        user, _, instance = handle.partition("@")
        return f"https://{instance or 'mastodon.social'}/@{user}/{post_id}"
    if platform == "bluesky":
        return f"https://bsky.app/profile/{handle}/post/{post_id}"
    if platform == "telegram":
        return f"https://t.me/escooter_talk/{post_id.rsplit(':', 1)[-1]}"
    if platform == "review":
        return f"https://reviews.example/voltaro/{post_id}"
    return None


def metrics_for(
    rng: random.Random, platform: str, followers: int, boost: float = 1.0
) -> dict[str, int] | None:
    """Heavy-tailed engagement: bigger accounts and angrier moments get more, with a lot of luck."""
    if platform in {"email", "whatsapp", "viber"}:
        return None
    base = (followers + 20) ** 0.55 * rng.lognormvariate(0.0, 1.1) * boost * 0.25
    likes = int(base)
    if platform == "review":
        return {"likes": min(likes, 400)}
    shares = int(likes * rng.uniform(0.03, 0.35))
    replies = int(likes * rng.uniform(0.02, 0.25))
    views = int(followers * rng.uniform(0.05, 0.6) + likes * rng.uniform(10, 40))
    if platform == "news":
        return {"likes": likes * 3, "shares": shares * 5, "replies": replies, "views": views}
    return {"likes": likes, "shares": shares, "replies": replies, "views": views}


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson counts: Knuth for small means, a rounded normal approximation for large ones."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
