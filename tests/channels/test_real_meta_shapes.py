"""Meta deliveries in the shapes the platforms really send (Messenger, Instagram and WhatsApp
webhook references, Page feed payloads as seen by public SDKs), written here in our own words.

Each case is one webhook body and what must come out of ``parse``: the posts (id, text, what they
answer, their files, edited or not), the status reports and what is kept unparsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from crisisdesk.channels.base import Delivery, DeliveryState
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.instagram.config import InstagramConfig
from crisisdesk.channels.instagram.connector import InstagramConnector
from crisisdesk.channels.meta.connector import MetaConnector
from crisisdesk.channels.whatsapp.config import WhatsAppConfig
from crisisdesk.channels.whatsapp.connector import WhatsAppConnector
from crisisdesk.posts.schemas import POST_ADAPTER
from tests.channels.payloads import (
    APP_SECRET,
    IG_ID,
    PAGE_ID,
    PNID,
    VERIFY_TOKEN,
    WABA_ID,
    feed_change,
    messenger_event,
    meta_body,
    wa_value,
)

SECRETS = {"access_token": "token", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}
PERSON = "5550001"
PSID = "6123456789012345"
IGSID = "17841455555555555"
WA_USER = "4915112345678"


def connector(platform: str) -> MetaConnector:
    if platform == "facebook":
        return FacebookConnector(FacebookConfig.model_validate({"key": "fb", "page_id": PAGE_ID, **SECRETS}))
    if platform == "instagram":
        return InstagramConnector(InstagramConfig.model_validate({"key": "ig", "account_id": IG_ID,
                                                                  **SECRETS}))
    return WhatsAppConnector(WhatsAppConfig.model_validate({"key": "wa", "phone_number_id": PNID, **SECRETS}))


def feed(value: dict[str, Any], *, time: Any = 1764846000) -> tuple[str, bytes]:
    entry: dict[str, Any] = {"id": PAGE_ID, "changes": [feed_change(value)]}
    if time is not None:
        entry["time"] = time
    return "facebook", meta_body("page", [entry])


def messenger(**event: Any) -> tuple[str, bytes]:
    return "facebook", meta_body("page", [{"id": PAGE_ID, "time": 1764846000123,
                                           "messaging": [messenger_event(PSID, PAGE_ID, **event)]}])


def instagram(key: str = "messaging", **event: Any) -> tuple[str, bytes]:
    return "instagram", meta_body("instagram", [{"id": IG_ID, "time": 1764846000123,
                                                 key: [messenger_event(IGSID, IG_ID, **event)]}])


def whatsapp(kind: str, **content: Any) -> tuple[str, bytes]:
    message = {"from": WA_USER, "id": f"wamid.{kind}", "timestamp": "1764846000", "type": kind, **content}
    return "whatsapp", meta_body("whatsapp_business_account",
                                 [{"id": WABA_ID, "changes": [wa_value(messages=[message])]}])


@dataclass(frozen=True)
class Expected:
    #: (id, text, in_reply_to) of each post, in order.
    posts: list[tuple[str, str, str | None]] = field(default_factory=list)
    #: (type, url or media id) of each post's attachments, in post order.
    files: list[list[tuple[str, str | None]]] = field(default_factory=list)
    edited: list[bool] | None = None
    statuses: list[tuple[str, DeliveryState]] = field(default_factory=list)
    watermarks: int = 0
    deletions: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)


PHOTO = "https://scontent.example/brand.jpg"
CASES: dict[str, tuple[tuple[str, bytes], Expected]] = {
    # --- Facebook page feed -------------------------------------------------------------------
    # A photo post: the image is ``link`` (with ``photo_id``), not ``photo`` as on comments.
    "feed photo post": (feed({
        "item": "photo", "verb": "add", "post_id": f"{PAGE_ID}_7001", "photo_id": "7001", "link": PHOTO,
        "message": "Der Akku hat gebrannt", "published": 1, "created_time": 1764846000,
        "from": {"id": PERSON, "name": "Lena Krause"}}),
        Expected([(f"{PAGE_ID}_7001", "Der Akku hat gebrannt", None)], [[("image", PHOTO)]])),
    # A post with several photos: a ``status`` with a ``photos`` list (``link`` is the first again).
    "feed post with several photos": (feed({
        "item": "status", "verb": "add", "post_id": f"{PAGE_ID}_7002", "link": PHOTO,
        "photos": [PHOTO, "https://scontent.example/two.jpg"], "message": "Zwei Bilder", "published": 1,
        "created_time": 1764846000, "from": {"id": PERSON, "name": "Lena Krause"}}),
        Expected([(f"{PAGE_ID}_7002", "Zwei Bilder", None)],
                 [[("image", PHOTO), ("image", "https://scontent.example/two.jpg")]])),
    "feed video post": (feed({
        "item": "video", "verb": "add", "post_id": f"{PAGE_ID}_7003", "video_id": "7003",
        "link": "https://video.example/clip.mp4", "published": 1, "created_time": 1764846000,
        "from": {"id": PERSON}}),
        Expected([(f"{PAGE_ID}_7003", "", None)], [[("video", "https://video.example/clip.mp4")]])),
    "feed photos that are not addresses cost the files, not the post": (feed({
        "item": "status", "verb": "add", "post_id": f"{PAGE_ID}_7005", "photos": [{"src": PHOTO}],
        "link": {"url": PHOTO}, "message": "kaputt", "created_time": 1764846000, "from": {"id": PERSON}}),
        Expected([(f"{PAGE_ID}_7005", "kaputt", None)], [[]])),
    # A status with a link is not a file: the link stays out of the attachments.
    "feed status with a link": (feed({
        "item": "status", "verb": "add", "post_id": f"{PAGE_ID}_7004", "link": "https://news.example/a",
        "message": "Lest das", "published": 1, "created_time": 1764846000, "from": {"id": PERSON}}),
        Expected([(f"{PAGE_ID}_7004", "Lest das", None)], [[]])),
    "feed comment with created_time as a Graph time": (feed({
        "item": "comment", "verb": "add", "post_id": f"{PAGE_ID}_900", "comment_id": "900_11",
        "parent_id": f"{PAGE_ID}_900", "message": "Wann kommt der Rückruf?",
        "created_time": "2026-12-04T10:00:00+0000", "from": {"id": PERSON, "name": "Lena Krause"}}),
        Expected([("900_11", "Wann kommt der Rückruf?", f"{PAGE_ID}_900")], [[]])),
    "feed comment with created_time as digits": (feed({
        "item": "comment", "verb": "add", "post_id": f"{PAGE_ID}_900", "comment_id": "900_12",
        "parent_id": f"{PAGE_ID}_900", "message": "ok", "created_time": "1764846000",
        "from": {"id": PERSON}}),
        Expected([("900_12", "ok", f"{PAGE_ID}_900")], [[]])),
    "feed removal without any time is kept": (feed({
        "item": "comment", "verb": "remove", "post_id": f"{PAGE_ID}_900", "comment_id": "900_13",
        "parent_id": f"{PAGE_ID}_900", "from": {"id": PERSON}}, time=None),
        Expected(unparsed=["feed comment remove without a time"])),
    "feed removal dated by the entry": (feed({
        "item": "comment", "verb": "remove", "post_id": f"{PAGE_ID}_900", "comment_id": "900_14",
        "parent_id": f"{PAGE_ID}_900", "from": {"id": PERSON}}),
        Expected(deletions=["900_14"])),
    # ``entry.time`` is only a fallback: one that is not a number must not cost the entry.
    "entry time that is not a number": (feed({
        "item": "comment", "verb": "add", "post_id": f"{PAGE_ID}_900", "comment_id": "900_15",
        "parent_id": f"{PAGE_ID}_900", "message": "hallo", "created_time": 1764846000,
        "from": {"id": PERSON}}, time="2026-12-04T10:00:00+0000"),
        Expected([("900_15", "hallo", f"{PAGE_ID}_900")], [[]])),
    # --- Messenger ----------------------------------------------------------------------------
    "messenger message_edit": (
        messenger(message_edit={"mid": "m_1", "text": "Korrigiert: 3 Wochen", "num_edit": 1}),
        Expected([("m_1", "Korrigiert: 3 Wochen", None)], [[]], edited=[True])),
    # A shared link Messenger cannot show: ``payload`` null, the address beside it.
    "messenger fallback attachment": (messenger(message={"mid": "m_2", "attachments": [
        {"type": "fallback", "payload": None, "title": "Rückruf-Aktion", "URL": "https://news.example/recall"}]}),
        Expected([("m_2", "", None)], [[("fallback", "https://news.example/recall")]])),
    "messenger location attachment": (messenger(message={"mid": "m_3", "attachments": [
        {"type": "location", "title": "Mein Standort",
         "payload": {"coordinates": {"lat": 52.52, "long": 13.405}}}]}),
        Expected([("m_3", "", None)], [[("location", "geo:52.52,13.405")]])),
    "messenger image attachment": (messenger(message={"mid": "m_4", "attachments": [
        {"type": "image", "payload": {"url": PHOTO, "sticker_id": 369239263222822}}],
        "sticker_id": 369239263222822}),
        Expected([("m_4", "", None)], [[("image", PHOTO)]])),
    # --- Instagram ----------------------------------------------------------------------------
    "instagram story reply": (instagram(message={"mid": "aWdf1", "text": "Ist das euer neuer Akku?",
                                                 "reply_to": {"story": {"id": "17920000000000001",
                                                                        "url": "https://cdn.example/story.jpg"}}}),
                              Expected([("aWdf1", "Ist das euer neuer Akku?", "17920000000000001")],
                                       [[("story", "https://cdn.example/story.jpg")]])),
    "instagram read names the message": (instagram(read={"mid": "aWdfOUT"}),
                                         Expected(statuses=[("aWdfOUT", DeliveryState.READ)])),
    "instagram standby event is kept": (
        instagram(key="standby", message={"mid": "aWdf2", "text": "Hallo?"}),
        Expected(unparsed=["messaging standby event (another app owns the thread)"])),
    # --- WhatsApp -----------------------------------------------------------------------------
    "whatsapp shared contact card": (whatsapp("contacts", contacts=[{
        "name": {"formatted_name": "Max Muster", "first_name": "Max", "last_name": "Muster"},
        "phones": [{"phone": "+49 151 2345678", "wa_id": "491512345678", "type": "CELL"}],
        "emails": [{"email": "max@example.de", "type": "WORK"}]}]),
        Expected([("wamid.contacts", "Max Muster +49 151 2345678 max@example.de", None)], [[]])),
    "whatsapp contact card without anything to read": (whatsapp("contacts", contacts=[{"name": {}}]),
                                                       Expected(unparsed=["message type contacts"])),
}


def summary(delivery: Delivery) -> Expected:
    for post in delivery.posts:
        POST_ADAPTER.validate_python(post.post)  # every post passes the import's validation
    return Expected(
        posts=[(p.post["id"], p.post["text"], p.post.get("in_reply_to")) for p in delivery.posts],
        files=[[(a.type, a.url or a.media_id) for a in p.attachments] for p in delivery.posts],
        edited=[p.edited for p in delivery.posts],
        statuses=[(s.external_id, s.state) for s in delivery.statuses],
        watermarks=len(delivery.watermarks),
        deletions=[d.external_id for d in delivery.deletions],
        unparsed=[u.what for u in delivery.unparsed])


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_real_shape(case: str) -> None:
    (platform, body), expected = CASES[case]
    got = summary(connector(platform).parse(body))
    if expected.edited is None:
        got = Expected(got.posts, got.files, None, got.statuses, got.watermarks, got.deletions, got.unparsed)
    assert got == expected


def test_a_message_edit_stays_in_the_persons_thread_and_is_theirs() -> None:
    platform, body = messenger(message_edit={"mid": "m_1", "text": "neu", "num_edit": 2})
    (post,) = connector(platform).parse(body).posts
    assert post.thread == f"facebook:{PAGE_ID}:{PSID}" and not post.public and not post.own
    assert post.post["author"] == {"id": PSID}
