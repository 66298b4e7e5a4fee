"""Files with replies, against loopback servers that speak each platform's upload wire format:
Telegram (sendPhoto / sendDocument, multipart), WhatsApp (``/media`` then a media message),
Messenger (``/message_attachments`` then text and file messages), Mastodon (``/api/v2/media``,
processed, then the status with ``media_ids``) and e-mail (a MIME attachment over SMTP). Each
platform receives the bytes and the documented fields exactly once; connectors that cannot send
files do not declare the capability, and calls a platform would refuse are refused unsent."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crisisdesk.channels.base import Capability, PlatformError
from crisisdesk.channels.outgoing import Action, Outbound, OutgoingFile, attachment_limits, attachment_refusal
from crisisdesk.channels.registry import CONNECTORS
from crisisdesk.channels.telegram.config import TelegramConfig
from crisisdesk.channels.telegram.connector import TelegramConnector
from tests.channels.payloads import BOT_TOKEN, PAGE_ID, PNID, TG_SECRET
from tests.channels.test_meta_send import PSID, WA_ID, facebook, whatsapp
from tests.channels.test_send_mbe import ORIGINAL, instance, mail_channel, mastodon, smtp_server, stored_mail
from tests.channels.test_send_mbe import stored_status as masto_status
from tests.fakes.http_sink import HttpSink
from tests.fakes.mastodon_api import MastodonApi
from tests.fakes.meta_send import GraphSend
from tests.fakes.smtp import SmtpServer
from tests.fakes.telegram_bot import TelegramBotApi

__all__ = ["instance", "smtp_server"]  # fixtures shared with test_send_mbe

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"\x00\xff\r\n" * 300 + b"%%EOF\n"
BOT = BOT_TOKEN.split(":")[0]
PERSON = 987654321


def stored(tmp_path: Path, data: bytes, name: str, kind: str, ident: int = 1) -> OutgoingFile:
    path = tmp_path / f"file-{ident}"
    path.write_bytes(data)
    return OutgoingFile(ident, name, kind, len(data), hashlib.sha256(data).hexdigest(), path)


def out(action: Action, files: tuple[OutgoingFile, ...], **fields: Any) -> Outbound:
    return Outbound(action=action, idempotency_key="outbox-7", attachments=files, **fields)


def test_who_declares_attachments() -> None:
    classes: dict[str, Any] = dict(CONNECTORS)
    can = {name for name, cls in classes.items() if Capability.ATTACHMENTS in cls.capabilities}
    assert can == {"email", "telegram", "whatsapp", "facebook", "mastodon"}
    for name in can:
        limits = attachment_limits(classes[name])  # declared on the class
        assert limits is not None and limits.max_count >= 1 and limits.accepts("image/png"), name


# --- Telegram ----------------------------------------------------------------------------------


@pytest.fixture
def telegram() -> Iterator[tuple[HttpSink, TelegramBotApi, TelegramConnector]]:
    api = TelegramBotApi(BOT_TOKEN)
    api.message(PERSON, 42)
    with HttpSink(responder=api) as sink:
        yield (
            sink,
            api,
            TelegramConnector(
                TelegramConfig(key="tg", bot_token=BOT_TOKEN, secret_token=TG_SECRET, api_base=sink.url)
            ),
        )


def test_telegram_sends_a_photo_and_a_document_with_the_text_as_caption(
    telegram: tuple[HttpSink, TelegramBotApi, TelegramConnector], tmp_path: Path
) -> None:
    sink, api, connector = telegram
    photo = stored(tmp_path, PNG, "Akku.png", "image/png")
    sent = connector.send(
        out(
            Action.REPLY_PRIVATE,
            (photo,),
            thread=f"telegram:{BOT}:{PERSON}",
            target=f"{PERSON}:42",
            text="So sieht der Rückruf-Aufkleber aus.",
        )
    )
    (request,) = sink.requests
    assert request.path == f"/bot{BOT_TOKEN}/sendPhoto"
    (body,) = api.messages
    assert body["photo"].data == PNG and body["photo"].filename == "Akku.png"
    assert body["caption"] == "So sieht der Rückruf-Aufkleber aus." and body["chat_id"] == PERSON
    assert body["reply_parameters"] == {"message_id": 42} and "text" not in body
    assert sent.external_id == f"{PERSON}:1"
    doc = stored(tmp_path, PDF, "Rückruf.pdf", "application/pdf", 2)
    connector.send(out(Action.REPLY_PRIVATE, (doc,), thread=f"telegram:{BOT}:{PERSON}", text="Das Formular."))
    assert (
        sink.requests[-1].path == f"/bot{BOT_TOKEN}/sendDocument" and api.messages[-1]["document"].data == PDF
    )


def test_telegram_refuses_a_caption_too_long_before_sending(
    telegram: tuple[HttpSink, TelegramBotApi, TelegramConnector], tmp_path: Path
) -> None:
    sink, _, connector = telegram
    call = out(
        Action.REPLY_PRIVATE,
        (stored(tmp_path, PNG, "a.png", "image/png"),),
        thread=f"telegram:{BOT}:{PERSON}",
        text="x" * 1025,
    )
    assert "1024" in str(attachment_refusal(connector, call))
    with pytest.raises(PlatformError, match="caption") as caught:
        connector.send(call)
    assert caught.value.permanent and sink.requests == []


def test_a_file_changed_on_disk_is_not_sent(
    telegram: tuple[HttpSink, TelegramBotApi, TelegramConnector], tmp_path: Path
) -> None:
    sink, _, connector = telegram
    photo = stored(tmp_path, PNG, "a.png", "image/png")
    photo.path.write_bytes(PNG[:-1] + b"!")
    with pytest.raises(PlatformError, match="changed") as caught:
        connector.send(out(Action.REPLY_PRIVATE, (photo,), thread=f"telegram:{BOT}:{PERSON}", text="Hallo"))
    assert caught.value.permanent and sink.requests == []


# --- WhatsApp and Messenger ---------------------------------------------------------------------

TOKEN = "page-token"


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphSend]]:
    api = GraphSend(TOKEN, pages=(PAGE_ID,), numbers=(PNID,))
    api.add_comment("501_7001", "facebook", author="6200000000000001", parent=f"{PAGE_ID}_501")
    with HttpSink(responder=api) as sink:
        yield sink, api


def test_whatsapp_uploads_the_media_then_sends_one_document_message(
    graph: tuple[HttpSink, GraphSend], tmp_path: Path
) -> None:
    sink, api = graph
    doc = stored(tmp_path, PDF, "Rechnung 4711.pdf", "application/pdf")
    sent = whatsapp(sink.url).send(
        out(
            Action.REPLY_PRIVATE,
            (doc,),
            recipient=WA_ID,
            thread=f"whatsapp:{PNID}:{WA_ID}",
            text="Ihre Rechnung im Anhang.",
        )
    )
    upload, message = sink.requests
    assert upload.path.endswith(f"/{PNID}/media") and message.path.endswith(f"/{PNID}/messages")
    ((media_id, media),) = api.media.items()
    assert media.data == PDF and media.content_type == "application/pdf"
    assert message.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "document",
        "document": {"id": media_id, "caption": "Ihre Rechnung im Anhang.", "filename": "Rechnung 4711.pdf"},
    }
    assert sent.external_id and sent.external_id.startswith("wamid.")


def test_whatsapp_image_limit_is_5_mb() -> None:
    limits = attachment_limits(whatsapp("http://127.0.0.1:9"))
    assert limits is not None and limits.limit_for("image") == 5 * 1024 * 1024
    assert not limits.accepts("audio/mpeg")  # an audio message takes no caption: the text would be lost


def test_messenger_uploads_then_sends_text_and_file_once(
    graph: tuple[HttpSink, GraphSend], tmp_path: Path
) -> None:
    sink, api = graph
    photo = stored(tmp_path, PNG, "Aufkleber.png", "image/png")
    sent = facebook(sink.url).send(
        out(
            Action.REPLY_PRIVATE,
            (photo,),
            recipient=PSID,
            thread=f"facebook:{PAGE_ID}:{PSID}",
            context={"public": False},
            text="So sieht er aus.",
        )
    )
    upload, text, file_message = sink.requests
    assert upload.path.endswith(f"/{PAGE_ID}/message_attachments")
    ((attachment_id, media),) = api.media.items()
    assert media.data == PNG
    assert text.json()["message"] == {"text": "So sieht er aus."}
    assert file_message.json() == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"attachment": {"type": "image", "payload": {"attachment_id": attachment_id}}},
    }
    assert sent.external_id and sent.details["attachment_messages"].startswith("m_")


def test_comment_replies_on_facebook_refuse_files_unsent(
    graph: tuple[HttpSink, GraphSend], tmp_path: Path
) -> None:
    sink, _ = graph
    connector = facebook(sink.url)
    photo = stored(tmp_path, PNG, "a.png", "image/png")
    public = out(Action.REPLY_PUBLIC, (photo,), target="501_7001", context={"public": True}, text="Hallo")
    private_to_comment = dataclasses.replace(public, action=Action.REPLY_PRIVATE)
    for call in (public, private_to_comment):
        assert attachment_refusal(connector, call)
        with pytest.raises(PlatformError) as caught:
            connector.send(call)
        assert caught.value.permanent
    assert sink.requests == []


# --- Mastodon ----------------------------------------------------------------------------------


def test_mastodon_waits_for_processing_then_posts_the_status_with_media_ids(
    instance: tuple[HttpSink, MastodonApi], tmp_path: Path
) -> None:
    sink, api = instance
    source, post = masto_status(sink, api)
    source.media_pause = 0.0
    api.processing_polls = 2  # the instance answers 202, then 206, then 200 with the url
    files = (
        stored(tmp_path, PNG, "a.png", "image/png", 1),
        stored(tmp_path, PNG[:-3], "b.png", "image/png", 2),
    )
    call = out(
        Action.REPLY_PUBLIC, files, target=str(post["id"]), text="Hier die Anleitung.", context={"post": post}
    )
    sent = source.send(call)
    posts = [r for r in sink.requests if r.method == "POST"]
    assert [r.path for r in posts] == ["/api/v2/media", "/api/v2/media", "/api/v1/statuses"]
    status = posts[-1].json()
    assert [api.media[m]["upload"].data for m in status["media_ids"]] == [PNG, PNG[:-3]]
    assert len(api.created[str(sent.external_id)]["media_attachments"]) == 2
    again = source.send(call)  # a retry: the Idempotency-Key returns the first status
    assert again.external_id == sent.external_id and len(api.created) == 1


def test_mastodon_takes_no_documents() -> None:
    limits = attachment_limits(mastodon("http://127.0.0.1:9"))
    assert limits is not None and limits.max_count == 4 and not limits.accepts("application/pdf")


# --- e-mail ------------------------------------------------------------------------------------


def test_email_carries_the_files_as_mime_attachments(smtp_server: SmtpServer, tmp_path: Path) -> None:
    post = stored_mail(ORIGINAL)
    files = (
        stored(tmp_path, PDF, "Gutschrift.pdf", "application/pdf", 1),
        stored(tmp_path, PNG, "Beleg.png", "image/png", 2),
    )
    call = out(
        Action.REPLY_PRIVATE,
        files,
        target=post["id"],
        recipient="lena@example.org",
        context={"post": post},
        text="Anbei die Gutschrift.",
    )
    mail_channel(smtp_server.port).send(call)
    (received,) = smtp_server.received
    msg = received.message
    assert msg.get_content_type() == "multipart/mixed"
    body, *parts = list(msg.iter_parts())
    assert body.get_content().replace("\r\n", "\n") == "Anbei die Gutschrift.\n"
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in parts] == [
        ("Gutschrift.pdf", "application/pdf", PDF),
        ("Beleg.png", "image/png", PNG),
    ]
