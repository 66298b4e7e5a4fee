"""The stored text of a post is what a person reads on the platform (and what monitors search).

* X: ``t.co`` links become the address they lead to (``entities.urls``), the trailing links to the
  post's own photos and videos are dropped, offsets are trusted only where they hold the link.
* RSS: Media RSS ``media:content`` / ``media:thumbnail`` are attachments; a Google News summary
  that repeats the headline (and names the outlet) is not repeated.
* Mastodon: a poll's options and a link preview's address belong to the text.

Payloads are written here in the documented shapes (X API v2 tweet with ``entities``, RSS 2.0 with
the Media RSS namespace as feedparser reads it, Mastodon's Status with ``poll`` and ``card``).
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from crisisdesk.channels.base import Attachment, InboundPost
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.mastodon.connector import MastodonConnector
from crisisdesk.channels.rss.config import RssConfig
from crisisdesk.channels.rss.connector import RssConnector
from crisisdesk.channels.x.config import XConfig
from crisisdesk.channels.x.connector import XConnector
from crisisdesk.posts.schemas import POST_ADAPTER
from tests.fakes.feed_server import FeedServer
from tests.fakes.http_sink import HttpSink


def canonical_text(post: InboundPost) -> str:
    """The text as ingestion validates and keeps it."""
    return str(POST_ADAPTER.validate_python(post.post)["text"])


# --- X -------------------------------------------------------------------------------------------

AUTHOR = {"id": "3001", "username": "netzkunde", "name": "Netz Kunde"}
QUELLE = {"id": "3002", "username": "stadtwerk", "name": "Stadtwerk"}
TID = "1870000000000000011"
ORIGINAL = "1869999999999999990"
RECALL = "https://www.voltaro.com/de/rueckruf/akku-x2?utm_source=x"
SHORT = "https://t.co/Rk7Qa2Lm9P"
PIC = "https://t.co/Pz3Nw8Vc1D"
VID = "https://t.co/Vd0Hb5Kx6T"


def tweet(text: str, urls: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"id": TID, "edit_history_tweet_ids": [TID], "author_id": AUTHOR["id"],
                             "conversation_id": TID, "created_at": "2026-12-05T08:00:00.000Z",
                             "lang": "de", "text": text, **extra}
    if urls is not None:
        found["entities"] = {"urls": urls}
    return found


def link(text: str, short: str, *, at: int | None = None, **fields: Any) -> dict[str, Any]:
    """A url entity for ``short`` at its place in ``text`` (or at ``at``), in code points."""
    start = text.index(short) if at is None else at
    return {"start": start, "end": start + len(short), "url": short, **fields}


def media_link(text: str, short: str, key: str, owner: str = TID, kind: str = "photo") -> dict[str, Any]:
    return link(text, short, expanded_url=f"https://x.com/netzkunde/status/{owner}/{kind}/1",
                display_url="pic.x.com/abcdef", media_key=key)


def x_text(data: dict[str, Any], *, tweets: list[dict[str, Any]] | None = None) -> str:
    source = XConnector(XConfig(key="x", bearer_token="t", account="voltaro", query="voltaro",
                                api_base="https://api.x.example"))
    includes: dict[str, Any] = {"users": [AUTHOR, QUELLE]}
    if tweets is not None:
        includes["tweets"] = tweets
    delivery = source.parse(orjson.dumps({"data": [data], "includes": includes}))
    assert [u.what for u in delivery.unparsed] == []
    (post,) = delivery.posts
    return canonical_text(post)


T1 = f"Rückruf für den X2-Akku: {SHORT} bitte lesen"
T2 = f"Akku brennt {PIC}"
T3 = f"Ladegerät qualmt, siehe {SHORT} {PIC} {VID}"
T4 = f"Strom weg 🔌 seit 6 Uhr &amp; keiner sagt was {SHORT}"
T5 = f"{SHORT} und {PIC}"
LONG = ("Seit gestern Abend ist der Akku unseres E-Bikes zweimal heiß geworden, beim zweiten Mal hat es "
        "gequalmt und nach verbranntem Plastik gerochen. Wir haben sofort den Stecker gezogen und das Rad "
        "auf den Balkon gestellt. Gibt es für diese Serie schon eine Warnung? Die Hotline ist nicht zu "
        f"erreichen. Details: {SHORT}")
LONG_CUT = LONG[:270] + "… https://t.co/MoreMoreMo"

X_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("expanded_url replaces the t.co link at its offsets",
     tweet(T1, [link(T1, SHORT, expanded_url=RECALL, display_url="voltaro.com/de/rueckruf/…")]),
     f"Rückruf für den X2-Akku: {RECALL} bitte lesen"),
    ("unwound_url (where a redirect really ends) wins over expanded_url",
     tweet(T1, [link(T1, SHORT, expanded_url="https://bit.ly/3vX2akku", unwound_url=RECALL)]),
     f"Rückruf für den X2-Akku: {RECALL} bitte lesen"),
    ("without expanded_url nor unwound_url the t.co link stays",
     tweet(T1, [link(T1, SHORT, display_url="voltaro.com/…")]), T1),
    ("the trailing link to the post's own photo is dropped",
     tweet(T2, [media_link(T2, PIC, "3_901")], attachments={"media_keys": ["3_901"]}), "Akku brennt"),
    ("a text link is expanded, the trailing photo and video links are dropped",
     tweet(T3, [link(T3, SHORT, expanded_url=RECALL), media_link(T3, PIC, "3_901"),
                media_link(T3, VID, "7_902", kind="video")],
           attachments={"media_keys": ["3_901", "7_902"]}),
     f"Ladegerät qualmt, siehe {RECALL}"),
    ("a media link without media_key is known by its /status/<id>/photo/<n> address",
     tweet(T2, [link(T2, PIC, expanded_url=f"https://x.com/netzkunde/status/{TID}/photo/1")],
           attachments={"media_keys": ["3_901"]}), "Akku brennt"),
    ("a link to media that is not the post's own is an address, not dropped",
     tweet(T2, [media_link(T2, PIC, "3_777", owner="1")], attachments={"media_keys": ["3_901"]}),
     "Akku brennt https://x.com/netzkunde/status/1/photo/1"),
    ("a media link before other words is not trailing: it is expanded, the words kept",
     tweet(T5, [media_link(T5, SHORT, "3_901"), link(T5, PIC, expanded_url=RECALL)],
           attachments={"media_keys": ["3_901"]}),
     f"https://x.com/netzkunde/status/{TID}/photo/1 und {RECALL}"),
    ("a photo-only post has no words left",
     tweet(PIC, [media_link(PIC, PIC, "3_901")], attachments={"media_keys": ["3_901"]}), ""),
    ("offsets counted otherwise (emoji, &amp;) do not hold the link: it is found in the text",
     tweet(T4, [link(T4, SHORT, at=T4.index(SHORT) - 5, expanded_url=RECALL)]),
     f"Strom weg 🔌 seit 6 Uhr & keiner sagt was {RECALL}"),
    ("offsets past the end are no harm either",
     tweet(T1, [link(T1, SHORT, at=500, expanded_url=RECALL)]),
     f"Rückruf für den X2-Akku: {RECALL} bitte lesen"),
    ("an entity whose link is nowhere in the text changes nothing",
     tweet(T1, [{"start": 3, "end": 26, "url": "https://t.co/Gone000000", "expanded_url": RECALL}]), T1),
    ("a shorter t.co that is only the start of a longer link is not replaced inside it",
     tweet(T1, [{"url": SHORT[:-1], "expanded_url": "https://falsch.example/"}]), T1),
    ("malformed entities are skipped",
     tweet(T1, [None, "x", {"url": None}, {"url": SHORT, "start": "25", "end": True, "expanded_url": 7},
                link(T1, SHORT, expanded_url=RECALL)]),
     f"Rückruf für den X2-Akku: {RECALL} bitte lesen"),
    ("entities that are not a list leave the text as it is", {**tweet(T1), "entities": {"urls": {}}}, T1),
    ("two links of different lengths: the second's offsets still refer to the original text",
     tweet(T5, [link(T5, SHORT, expanded_url="https://a.example/eins"),
                link(T5, PIC, expanded_url="https://b.example/zwei-ist-länger")]),
     "https://a.example/eins und https://b.example/zwei-ist-länger"),
    ("a long post: note_tweet.entities refer to the whole text",
     tweet(LONG_CUT, [link(LONG_CUT, "https://t.co/MoreMoreMo",
                           expanded_url=f"https://x.com/i/web/status/{TID}")],
           note_tweet={"text": LONG, "entities": {"urls": [link(LONG, SHORT, expanded_url=RECALL)]}}),
     LONG.replace(SHORT, RECALL)),
    ("a quote: the link to the quoted post becomes its address",
     tweet(f"Genau das meine ich {SHORT}",
           [link(f"Genau das meine ich {SHORT}", SHORT,
                 expanded_url=f"https://twitter.com/stadtwerk/status/{ORIGINAL}")],
           referenced_tweets=[{"type": "quoted", "id": ORIGINAL}]),
     f"Genau das meine ich https://twitter.com/stadtwerk/status/{ORIGINAL}"),
]


@pytest.mark.parametrize(("data", "text"), [c[1:] for c in X_CASES], ids=[c[0] for c in X_CASES])
def test_x_links_are_what_the_reader_sees(data: dict[str, Any], text: str) -> None:
    assert x_text(data) == text


def test_x_retweet_takes_the_original_with_its_own_links() -> None:
    words = f"Störung im Netz, Infos unter {SHORT} {PIC}"
    original = {"id": ORIGINAL, "author_id": QUELLE["id"], "text": words,
                "entities": {"urls": [link(words, SHORT, expanded_url="https://stadtwerk.example/stoerung"),
                                      media_link(words, PIC, "3_55", owner=ORIGINAL)]},
                "attachments": {"media_keys": ["3_55"]}}
    cut = f"RT @stadtwerk: Störung im Netz, Infos unter {SHORT} …"
    retweet = tweet(cut, [link(cut, SHORT, expanded_url="https://falsch.example/")],
                    referenced_tweets=[{"type": "retweeted", "id": ORIGINAL}],
                    attachments={"media_keys": ["3_55"]})
    assert x_text(retweet, tweets=[original]) == (
        "RT @stadtwerk: Störung im Netz, Infos unter https://stadtwerk.example/stoerung")


def test_x_retweet_whose_original_is_missing_expands_its_own_text() -> None:
    cut = f"RT @stadtwerk: Infos unter {SHORT}"
    retweet = tweet(cut, [link(cut, SHORT, expanded_url=RECALL)],
                    referenced_tweets=[{"type": "retweeted", "id": ORIGINAL}])
    assert x_text(retweet) == f"RT @stadtwerk: Infos unter {RECALL}"


def test_x_media_stay_attachments_when_their_link_is_dropped() -> None:
    source = XConnector(XConfig(key="x", bearer_token="t", account="voltaro", query="voltaro",
                                api_base="https://api.x.example"))
    data = tweet(T2, [media_link(T2, PIC, "3_901")], attachments={"media_keys": ["3_901"]})
    media = [{"media_key": "3_901", "type": "photo", "url": "https://pbs.twimg.example/media/k.jpg"}]
    page = {"data": [data], "includes": {"users": [AUTHOR], "media": media}}
    (post,) = source.parse(orjson.dumps(page)).posts
    assert (canonical_text(post), post.attachments) == (
        "Akku brennt", [Attachment("image", url="https://pbs.twimg.example/media/k.jpg", media_id="3_901")])


# --- RSS -----------------------------------------------------------------------------------------

def feed_posts(items: str) -> list[InboundPost]:
    document = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
                'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Nachrichten</title>'
                f"<link>https://news.example/</link>{items}</channel></rss>").encode()
    with HttpSink(responder=FeedServer(document)) as sink:
        source = RssConnector(RssConfig(key="feed", url=sink.url + "/rss", interval=60))
        return [p for body in source.fetch(None).bodies for p in source.parse(body).posts]


def news_item(title: str, description: str, extra: str = "") -> str:
    return (f"<item><title>{title}</title><link>https://news.example/a/1</link><guid>g-1</guid>"
            f"<pubDate>Sat, 05 Dec 2026 07:00:00 GMT</pubDate><description>{description}</description>"
            f"{extra}</item>")


def google(headline: str, outlet: str) -> str:
    """Google News' description: a link whose text is the headline, two spaces, the outlet in grey."""
    return (f'&lt;a href="https://news.example/rss/articles/CBMi1" target="_blank"&gt;{headline}&lt;/a&gt;'
            f'&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;{outlet}&lt;/font&gt;')


SOURCE = '<source url="https://www.tagesblatt.example">Tagesblatt</source>'
RSS_CASES: list[tuple[str, str, str]] = [
    ("Google News: title 'headline - outlet', summary the headline and the outlet",
     news_item("Akku brennt in Lagerhalle - Tagesblatt", google("Akku brennt in Lagerhalle", "Tagesblatt"),
               SOURCE),
     "Akku brennt in Lagerhalle - Tagesblatt"),
    ("the same without a <source>: the words are the same, so nothing is repeated",
     news_item("Akku brennt in Lagerhalle - Tagesblatt", google("Akku brennt in Lagerhalle", "Tagesblatt")),
     "Akku brennt in Lagerhalle - Tagesblatt"),
    ("a title without the outlet: the outlet after it is the source's name, not news",
     news_item("Akku brennt in Lagerhalle", google("Akku brennt in Lagerhalle", "Tagesblatt"), SOURCE),
     "Akku brennt in Lagerhalle"),
    ("a cluster: the first link repeats the title, the others are kept",
     news_item("Akku brennt in Lagerhalle - Tagesblatt",
               "&lt;ol&gt;&lt;li&gt;" + google("Akku brennt in Lagerhalle", "Tagesblatt")
               + "&lt;/li&gt;&lt;li&gt;" + google("Feuerwehr warnt vor E-Bike-Akkus", "Stadtanzeiger")
               + "&lt;/li&gt;&lt;/ol&gt;", SOURCE),
     "Akku brennt in Lagerhalle - Tagesblatt\n\nFeuerwehr warnt vor E-Bike-Akkus Stadtanzeiger"),
    ("case and punctuation aside the summary is the title",
     news_item("Voltaro ruft X2-Akkus zurück", "&lt;p&gt;VOLTARO RUFT X2 AKKUS ZURÜCK!&lt;/p&gt;"),
     "Voltaro ruft X2-Akkus zurück"),
    ("a summary that is no repeat keeps title and summary (as before)",
     news_item("Voltaro ruft X2-Akkus zurück", "&lt;p&gt;Betroffen sind Geräte aus 2025.&lt;/p&gt;"),
     "Voltaro ruft X2-Akkus zurück\n\nBetroffen sind Geräte aus 2025."),
    ("a summary that starts with the very title is the text (as before)",
     news_item("Rückruf", "Rückruf: Betroffen sind Geräte aus 2025."),
     "Rückruf: Betroffen sind Geräte aus 2025."),
]


@pytest.mark.parametrize(("item", "text"), [c[1:] for c in RSS_CASES], ids=[c[0] for c in RSS_CASES])
def test_feed_text_does_not_repeat_the_headline(item: str, text: str) -> None:
    (post,) = feed_posts(item)
    assert canonical_text(post) == text


MEDIA_CASES: list[tuple[str, str, list[Attachment]]] = [
    ("media:content with medium, type and fileSize, a thumbnail, and an enclosure of the same address",
     '<enclosure url="https://img.news.example/brand.jpg" length="2048" type="image/jpeg"/>'
     '<media:content url="https://img.news.example/brand.jpg" medium="image" fileSize="4096" width="1200"/>'
     '<media:content url="https://video.news.example/brand.mp4" type="video/mp4" fileSize="7340032"/>'
     '<media:thumbnail url="https://img.news.example/brand-klein.jpg" width="150" height="100"/>',
     [Attachment("image", url="https://img.news.example/brand.jpg", mime_type="image/jpeg", size=2048),
      Attachment("video", url="https://video.news.example/brand.mp4", mime_type="video/mp4", size=7340032),
      Attachment("image", url="https://img.news.example/brand-klein.jpg")]),
    ("without medium or type the file's ending tells; the same address twice is one attachment",
     '<media:content url="https://img.news.example/lage.png?w=800" width="800"/>'
     '<media:content url="https://cdn.news.example/bericht.mp3"/>'
     '<media:content url="https://cdn.news.example/daten"/>'
     '<media:thumbnail url="https://img.news.example/lage.png?w=800"/>',
     [Attachment("image", url="https://img.news.example/lage.png?w=800"),
      Attachment("audio", url="https://cdn.news.example/bericht.mp3"),
      Attachment("file", url="https://cdn.news.example/daten")]),
    ("a media element without an address is none",
     '<media:content medium="image" width="10"/><media:thumbnail url=""/>', []),
]


@pytest.mark.parametrize(("extra", "attachments"), [c[1:] for c in MEDIA_CASES],
                         ids=[c[0] for c in MEDIA_CASES])
def test_media_rss_gives_attachments(extra: str, attachments: list[Attachment]) -> None:
    (post,) = feed_posts(news_item("Brand im Werk", "Die Feuerwehr ist vor Ort.", extra))
    assert post.attachments == attachments
    assert canonical_text(post) == "Brand im Werk\n\nDie Feuerwehr ist vor Ort."


# --- Mastodon ------------------------------------------------------------------------------------

ARTICLE = "https://www.zeitung.example/2026/12/05/akku-brand"


def status(content: str, **extra: Any) -> dict[str, Any]:
    return {"id": "1133", "created_at": "2026-12-05T08:00:00.000Z", "edited_at": None, "in_reply_to_id": None,
            "content": content, "visibility": "public", "language": "de", "spoiler_text": "",
            "sensitive": False, "uri": "https://other.example/users/kim/statuses/1133",
            "url": "https://other.example/@kim/1133",
            "account": {"id": "77", "username": "kim", "acct": "kim@other.example", "display_name": "Kim",
                        "followers_count": 5},
            "reblog": None, "favourites_count": 0, "reblogs_count": 0, "replies_count": 0,
            "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None,
            **extra}


def poll(*titles: Any) -> dict[str, Any]:
    return {"id": "34", "expires_at": "2026-12-06T08:00:00.000Z", "expired": False, "multiple": False,
            "votes_count": 9, "voters_count": 9, "emojis": [],
            "options": [{"title": t, "votes_count": 3} for t in titles]}


def card(url: Any) -> dict[str, Any]:
    return {"url": url, "title": "Akku-Brand in Lagerhalle", "description": "Was wir wissen", "type": "link",
            "author_name": "", "author_url": "", "provider_name": "Zeitung", "provider_url": "", "html": "",
            "width": 400, "height": 200, "image": None, "embed_url": "", "blurhash": None}


LINKED = (f'<p>Schlimm: <a href="{ARTICLE}" rel="nofollow noopener" target="_blank">'
          '<span class="invisible">https://www.</span><span class="ellipsis">zeitung.example/2026/12/</span>'
          '<span class="invisible">05/akku-brand</span></a></p>')
MASTO_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("a poll's options follow the text, one per line",
     status("<p>Hattet ihr auch Probleme mit dem X2-Akku?</p>",
            poll=poll("Ja, er brennt", "Nein", "Weiß nicht")),
     "Hattet ihr auch Probleme mit dem X2-Akku?\n\nJa, er brennt\nNein\nWeiß nicht"),
    ("empty and malformed options are left out",
     status("<p>Umfrage</p>", poll=poll("  Akku brennt ", "", None, 3)), "Umfrage\n\nAkku brennt"),
    ("a poll without options adds nothing",
     status("<p>Umfrage</p>", poll={"id": "1", "options": None}), "Umfrage"),
    ("a card whose address the text does not hold adds it",
     status('<p>Lest das <a href="https://kurz.example/x">hier</a></p>', card=card(ARTICLE)),
     f"Lest das hier\n\n{ARTICLE}"),
    ("a card whose address the text shows already adds nothing", status(LINKED, card=card(ARTICLE)),
     f"Schlimm: {ARTICLE}"),
    ("the address with a trailing slash is the same address", status(LINKED, card=card(ARTICLE + "/")),
     f"Schlimm: {ARTICLE}"),
    ("a card without an address adds nothing", status("<p>Nur Text</p>", card=card(None)), "Nur Text"),
    ("content warning, content, poll, then card",
     status("<p>Was tun?</p>", spoiler_text="Brand", poll=poll("Warten", "Anrufen"), card=card(ARTICLE)),
     f"Brand\n\nWas tun?\n\nWarten\nAnrufen\n\n{ARTICLE}"),
    ("a status of only a link preview is its address", status("", card=card(ARTICLE)), ARTICLE),
]


@pytest.mark.parametrize(("data", "text"), [c[1:] for c in MASTO_CASES], ids=[c[0] for c in MASTO_CASES])
def test_mastodon_poll_and_card_are_part_of_the_text(data: dict[str, Any], text: str) -> None:
    connector = MastodonConnector(MastodonConfig(key="masto", base_url="https://social.example",
                                                 access_token="t", hashtags=["voltaro"]))
    body = {"source": "tag:voltaro", "me": "1", "roots": {}, "page": [data]}
    delivery = connector.parse(orjson.dumps(body))
    assert [u.what for u in delivery.unparsed] == []
    (post,) = delivery.posts
    assert canonical_text(post) == text


def test_mastodon_boost_takes_the_poll_of_the_boosted_status() -> None:
    inner = status("<p>Frage</p>", poll=poll("A", "B"))
    boost = status("", reblog=inner, id="1134")
    connector = MastodonConnector(MastodonConfig(key="masto", base_url="https://social.example",
                                                 access_token="t", hashtags=["voltaro"]))
    (post,) = connector.parse(orjson.dumps({"source": "tag:voltaro", "me": "1", "roots": {},
                                            "page": [boost]})).posts
    assert canonical_text(post) == "Frage\n\nA\nB"


@pytest.mark.parametrize(("sent", "read"), [
    ("AT&amp;T und Voltaro &lt;3 — Akku &gt; 80 %", "AT&T und Voltaro <3 — Akku > 80 %"),
    ("&amp;amp; stays one level", "&amp; stays one level"),  # undone once, as X escaped once
    ("&quot;nicht&quot; escaped by X", "&quot;nicht&quot; escaped by X"),  # X escapes only & < >
])
def test_x_text_is_unescaped_as_people_wrote_it(sent: str, read: str) -> None:
    assert x_text(tweet(sent)) == read


def test_x_unescaping_comes_after_the_links() -> None:
    words = f"Q&amp;A zum Rückruf: {SHORT}"
    assert x_text(tweet(words, [link(words, SHORT, expanded_url="https://voltaro.example/q&a")])) == \
        "Q&A zum Rückruf: https://voltaro.example/q&a"
