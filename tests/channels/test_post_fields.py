"""What a channel item carries into its post: public or private, attachments, the delivery whose raw
bytes it came in, and what edits and deletions do to the stored post. Webhook bodies in the shapes
the platforms document, through the real app; the answers of the post API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts import actions
from crisisdesk.accounts.roles import Role
from crisisdesk.audit.service import Actor
from crisisdesk.channels.base import Attachment, Capability, CheckResult, Delivery, InboundPost
from crisisdesk.channels.models import ChannelDelivery, UnparsedItem
from crisisdesk.channels.processor import process_pending
from crisisdesk.channels.service import store_delivery
from crisisdesk.core.clock import SystemClock
from crisisdesk.posts.models import Post
from crisisdesk.posts.schemas import MAX_ATTACHMENTS
from crisisdesk.sources.models import Monitor, MonitorMatch
from tests.accounts.fixtures import FAST_HASHER
from tests.channels.payloads import (
    PAGE_ID,
    TG_SECRET,
    fb_comment,
    meta_body,
    meta_signature,
    tg_update,
)
from tests.channels.test_webhooks import client, runtime_of, signed_wa

__all__ = ["client"]

API = {"Authorization": "Bearer t"}  # the service token: ingests, cannot read
PHOTO_TIME = 1764846000


def reader(c: TestClient) -> dict[str, str]:
    """An analyst's personal API token (reading posts needs a person's permission to view)."""
    runtime = runtime_of(c)
    with Session(runtime.engine) as s, s.begin():
        user = actions.create_user(s, email="ana@example.org", name="Ana", role=Role.ANALYST,
                                   password="correct horse battery staple", actor=Actor.system(),
                                   clock=SystemClock(), hasher=FAST_HASHER)
        secret = actions.create_token(s, user, "tests", actor=Actor.system(), clock=SystemClock()).secret
    return {"Authorization": f"Bearer {secret}"}


def stored(c: TestClient, external_id: str) -> Any:
    with runtime_of(c).engine.connect() as conn:
        return conn.execute(select(Post).where(Post.external_id == external_id)).one()


def raw_body(c: TestClient, delivery_id: int | None) -> bytes:
    with runtime_of(c).engine.connect() as conn:
        return bytes(conn.execute(select(ChannelDelivery.body)
                                  .where(ChannelDelivery.id == delivery_id)).scalar_one())


def send_fb(c: TestClient, *changes: dict[str, Any]) -> bytes:
    body = meta_body("page", [{"id": PAGE_ID, "changes": list(changes)}])
    answer = c.post("/webhooks/voltaro-fb", content=body,
                    headers={"X-Hub-Signature-256": meta_signature(body)})
    assert answer.status_code == 200, answer.text
    return body


def matched_monitors(c: TestClient, post_id: int) -> list[str]:
    with runtime_of(c).engine.connect() as conn:
        return list(conn.execute(select(Monitor.name)
                                 .join(MonitorMatch, MonitorMatch.monitor_id == Monitor.id)
                                 .where(MonitorMatch.post_id == post_id)).scalars())


def test_a_whatsapp_image_is_a_private_post_with_its_attachment_and_raw_delivery(client: TestClient) -> None:
    image = {"from": "4915112345678", "id": "wamid.IMG", "timestamp": str(PHOTO_TIME), "type": "image",
             "image": {"id": "1481502236", "mime_type": "image/jpeg", "sha256": "abc=",
                       "caption": "So sieht der Akku nach dem Laden aus"}}
    body, headers = signed_wa([image])
    assert client.post("/webhooks/voltaro-wa", content=body, headers=headers).status_code == 200
    report = runtime_of(client).process_deliveries()
    assert report.posts == 1 and report.unparsed == 0
    post = stored(client, "wamid.IMG")
    assert post.visibility == "private"
    assert post.attachments == [{"type": "image", "media_id": "1481502236", "mime_type": "image/jpeg"}]
    assert post.channel == "voltaro-wa" and post.conversation_id.startswith("whatsapp:")
    assert raw_body(client, post.delivery_id) == body  # the platform's own bytes, as they came


def test_a_telegram_photo_keeps_its_size_and_a_group_message_is_public(client: TestClient) -> None:
    photo = [{"file_id": "small", "file_unique_id": "s", "file_size": 1_200, "width": 90, "height": 67},
             {"file_id": "AgACAgIAAxkBig", "file_unique_id": "b", "file_size": 120_000, "width": 1280,
              "height": 960}]
    group = {"id": -100200300, "type": "supergroup", "title": "Voltaro Fans"}
    updates = [tg_update(7, photo=photo, caption="Akku aufgebläht"),
               tg_update(8, text="Akku im Gruppenchat", message_id=43, chat=group)]
    for update in updates:
        answer = client.post("/webhooks/voltaro-tg", content=json.dumps(update),
                             headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
        assert answer.status_code == 200
    assert runtime_of(client).process_deliveries().posts == 2
    private = stored(client, "987654321:42")
    assert private.visibility == "private" and private.text == "Akku aufgebläht"
    assert private.attachments == [{"type": "image", "media_id": "AgACAgIAAxkBig", "size": 120_000}]
    public = stored(client, "-100200300:43")
    assert public.visibility == "public" and public.attachments is None


def test_a_comment_is_public_and_its_edit_updates_the_text_and_the_analysis(client: TestClient) -> None:
    first = send_fb(client, fb_comment("1", "Super, vielen Dank für die schnelle Hilfe!"))
    runtime_of(client).process_deliveries()
    before = stored(client, "900_1")
    assert before.visibility == "public" and before.kind == "comment" and before.version == 1
    assert before.sentiment == "positive" and matched_monitors(client, before.id) == []
    assert raw_body(client, before.delivery_id) == first

    edit = send_fb(client, fb_comment("1", "Der Akku ist explodiert, ihr Betrüger, ich bin wütend!",
                                      verb="edited"))
    report = runtime_of(client).process_deliveries()
    assert report.posts == 1
    after = stored(client, "900_1")
    assert after.id == before.id and after.version == 2
    assert after.text == "Der Akku ist explodiert, ihr Betrüger, ich bin wütend!"
    assert after.sentiment == "negative" and "safety" in json.loads(after.complaint_types)
    assert matched_monitors(client, after.id) == ["akku"]  # matched again with the new text
    assert raw_body(client, after.delivery_id) == edit  # the latest version's delivery


def test_an_edit_of_an_unknown_item_is_stored_as_a_new_post(client: TestClient) -> None:
    send_fb(client, fb_comment("5", "Akku geht nach dem Update nicht mehr", verb="edited"))
    assert runtime_of(client).process_deliveries().posts == 1
    post = stored(client, "900_5")
    assert post.version == 1 and post.text == "Akku geht nach dem Update nicht mehr"


def test_a_deletion_marks_the_stored_post_and_keeps_its_text(client: TestClient) -> None:
    send_fb(client, fb_comment("1", "Akku kaputt, ihr seid Betrüger"), fb_comment("2", "Akku ok"))
    runtime_of(client).process_deliveries()
    send_fb(client, fb_comment("1", None, verb="remove", created=PHOTO_TIME + 600))
    report = runtime_of(client).process_deliveries()
    assert (report.deletions, report.deleted, report.posts) == (1, 1, 0)
    gone = stored(client, "900_1")
    assert gone.deleted_at == datetime.fromtimestamp(PHOTO_TIME + 600, UTC)
    assert gone.text == "Akku kaputt, ihr seid Betrüger" and matched_monitors(client, gone.id) == ["akku"]
    assert stored(client, "900_2").deleted_at is None

    # Told again later (another delivery): the first time stands.
    send_fb(client, fb_comment("1", None, verb="remove", created=PHOTO_TIME + 900))
    assert runtime_of(client).process_deliveries().deleted == 1
    assert stored(client, "900_1").deleted_at == datetime.fromtimestamp(PHOTO_TIME + 600, UTC)

    listed = client.get("/api/v1/posts", params={"platform": "facebook"},
                        headers=reader(client)).json()["items"]
    by_id = {p["external_id"]: p for p in listed}
    assert set(by_id) == {"900_1", "900_2"}  # a deleted post still counts, marked
    assert by_id["900_1"]["deleted_at"].startswith("2025-12-04T11:10:00")
    assert by_id["900_2"]["deleted_at"] is None


def test_a_deletion_of_an_unknown_item_is_counted_and_harmless(client: TestClient) -> None:
    send_fb(client, fb_comment("77", None, verb="remove"))
    report = runtime_of(client).process_deliveries()
    assert (report.deliveries, report.failed, report.deletions, report.deleted) == (1, 0, 1, 0)
    with runtime_of(client).engine.connect() as conn:
        delivery = conn.execute(select(ChannelDelivery)).one()
        assert conn.execute(select(Post.id)).first() is None
    assert delivery.status == "processed" and delivery.error is None
    assert delivery.counts["deletions"] == 1


class StubConnector:
    """A connector whose deliveries are given: for what no platform's mapping produces today (an
    item reported deleted with its content, more attachments than a post takes)."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset()

    def __init__(self, deliveries: dict[bytes, Delivery]) -> None:
        self.deliveries = deliveries

    @property
    def key(self) -> str:
        return "stub"

    def parse(self, body: bytes) -> Delivery:
        return self.deliveries[body]

    def check(self) -> CheckResult:
        return CheckResult(account="stub")


def canonical(external_id: str, text: str) -> dict[str, Any]:
    return {"platform": "other", "id": external_id, "created_at": "2026-12-01T09:00:00+00:00", "text": text,
            "channel": "stub"}


def test_an_item_reported_deleted_marks_its_post_and_bad_attachments_never_cost_the_post(
        client: TestClient) -> None:
    runtime = runtime_of(client)
    too_long = Attachment("image", url="https://cdn.example.org/" + "a" * 5000)
    files = [Attachment("file", media_id=f"f{i}", size=i) for i in range(MAX_ATTACHMENTS + 1)]
    stub = StubConnector({
        b"one": Delivery(posts=[InboundPost(canonical("s1", "Akku heiß"), thread="stub:1", public=True,
                                            attachments=[too_long, *files])]),
        b"two": Delivery(posts=[InboundPost(canonical("s1", "Akku heiß"), thread="stub:1", public=True,
                                            deleted=True),
                                InboundPost({"text": "no id"}, thread=None, public=True, deleted=True)]),
    })
    clock = SystemClock()
    store_delivery(runtime.engine, channel="stub", body=b"one", now=clock.now())
    first = process_pending(runtime.engine, {"stub": stub}, runtime.runner.handle, clock=clock)
    assert first.posts == 1 and first.unparsed == 2
    post = stored(client, "s1")
    assert post.attachments == [{"type": "file", "media_id": f"f{i}", "size": i}
                                for i in range(MAX_ATTACHMENTS)]
    with runtime.engine.connect() as conn:
        whats = sorted(conn.execute(select(UnparsedItem.what)).scalars())
    assert whats[0].startswith("attachment 0 of other:s1: url: String should have at most 4096 characters")
    assert whats[1] == (f"attachment {MAX_ATTACHMENTS + 1} of other:s1: "
                        f"more than {MAX_ATTACHMENTS} attachments")

    store_delivery(runtime.engine, channel="stub", body=b"two", now=clock.now())
    before = clock.now()
    second = process_pending(runtime.engine, {"stub": stub}, runtime.runner.handle, clock=clock)
    assert (second.posts, second.deletions, second.deleted, second.unparsed) == (0, 1, 1, 1)
    gone = stored(client, "s1")
    assert gone.deleted_at is not None and gone.deleted_at >= before and gone.text == "Akku heiß"


def test_the_post_api_shows_what_the_channel_said(client: TestClient) -> None:
    body, headers = signed_wa([{"from": "4915112345678", "id": "wamid.DOC", "timestamp": str(PHOTO_TIME),
                                "type": "document", "document": {"id": "77", "mime_type": "application/pdf",
                                                                 "filename": "Rechnung.pdf"}}])
    client.post("/webhooks/voltaro-wa", content=body, headers=headers)
    send_fb(client, fb_comment("3", "Akku?"))
    runtime_of(client).process_deliveries()
    headers = reader(client)
    items = client.get("/api/v1/posts", headers=headers).json()["items"]
    by_id = {p["external_id"]: p for p in items}
    doc = by_id["wamid.DOC"]
    assert doc["visibility"] == "private" and doc["channel"] == "voltaro-wa"
    assert doc["conversation_id"].startswith("whatsapp:") and doc["deleted_at"] is None
    assert doc["attachments"] == [{"type": "document", "url": None, "media_id": "77",
                                   "mime_type": "application/pdf", "size": None, "name": "Rechnung.pdf"}]
    comment = by_id["900_3"]
    assert comment["visibility"] == "public" and comment["attachments"] == []
    assert comment["conversation_id"] == f"facebook:{PAGE_ID}:comment:900_3"  # the connector's thread
    detail = client.get("/api/v1/posts/whatsapp/wamid.DOC", headers=headers).json()
    assert detail["visibility"] == "private" and detail["attachments"] == doc["attachments"]
    assert detail["deleted_at"] is None and raw_body(client, detail["delivery_id"]) == body


def test_api_clients_may_send_visibility_and_attachments_but_never_a_delivery(client: TestClient) -> None:
    claimed = store_delivery(runtime_of(client).engine, channel="voltaro-wa", body=b"{}",
                             now=datetime.now(UTC))
    good = {**canonical("api1", "Akku"), "visibility": "private", "delivery_id": claimed.id,
            "attachments": [{"type": "image", "url": "https://example.org/a.jpg", "size": 2048}]}
    bad = [{**canonical("api2", "x"), "attachments": [{"url": "https://example.org/b.jpg"}]},
           {**canonical("api3", "x"), "attachments": [{"type": "image", "size": -1}]},
           {**canonical("api4", "x"), "attachments": [{"type": "file"}] * (MAX_ATTACHMENTS + 1)},
           {**canonical("api5", "x"), "visibility": "friends"}]
    answer = client.post("/api/v1/posts", json=[good, *bad], headers=API)
    assert answer.status_code == 200, answer.text
    assert answer.json()["summary"]["imported"] == 1
    assert [r["reason"] for r in answer.json()["rejects"]] == [
        "attachments.0.type: required field missing",
        "attachments.0.size: Input should be greater than or equal to 0",
        f"attachments: List should have at most {MAX_ATTACHMENTS} items after validation, "
        f"not {MAX_ATTACHMENTS + 1}",
        "visibility: Input should be 'public' or 'private'",
    ]
    post = stored(client, "api1")
    assert post.visibility == "private" and post.delivery_id is None
    assert post.attachments == [{"type": "image", "url": "https://example.org/a.jpg", "size": 2048}]
