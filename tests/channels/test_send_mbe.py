"""Sending for Mastodon, Bluesky and e-mail, against loopback servers that speak each wire format:
each action makes the documented request (or the SMTP mail with the right headers) from what the
stored post knows and returns the platform's id; the instance's Idempotency-Key is used; refusals
are classified (permanent, transient with the platform's wait, reauthorize); a call without the
data it needs is refused before any request; the capabilities say what each connector does."""

from __future__ import annotations

import base64
import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from crisisdesk.channels.base import Capability, PlatformError
from crisisdesk.channels.bluesky.config import BlueskyConfig
from crisisdesk.channels.bluesky.connector import BlueskyConnector
from crisisdesk.channels.email.config import EmailConfig
from crisisdesk.channels.email.connector import EmailConnector
from crisisdesk.channels.email.mapping import map_body as map_mail
from crisisdesk.channels.email.sending import message_id, reply_subject
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.mastodon.connector import MastodonConnector
from crisisdesk.channels.mastodon.sending import with_mention
from crisisdesk.channels.outgoing import NEEDS, Action, Outbound
from crisisdesk.channels.registry import CONNECTORS
from tests.fakes.bluesky_api import BlueskyApi
from tests.fakes.http_sink import HttpSink, Reply
from tests.fakes.mastodon_api import MastodonApi
from tests.fakes.smtp import SmtpServer, free_port

KEY = "outbox-7f3c2a"


def outbound(action: Action, post: dict[str, Any] | None = None, **fields: Any) -> Outbound:
    """An outbound call as the outbox makes it from a stored post."""
    if post is not None:
        author = post.get("author") or {}
        fields = {"target": post["id"], "recipient": author.get("id"), **fields}
        fields["context"] = {"post": post, **fields.get("context", {})}
    return Outbound(action, fields.pop("idempotency_key", KEY), **fields)


def refused(call: Any, *args: Any) -> PlatformError:
    with pytest.raises(PlatformError) as caught:
        call(*args)
    return caught.value


def test_capabilities_are_declared_and_registered() -> None:
    assert MastodonConnector.capabilities == {Capability.POLL, Capability.REPLY_PUBLIC,
                                              Capability.REPLY_PRIVATE, Capability.DELETE, Capability.BLOCK,
                                              Capability.ATTACHMENTS, Capability.PUBLISH}
    assert BlueskyConnector.capabilities == {Capability.POLL, Capability.REPLY_PUBLIC, Capability.DELETE,
                                             Capability.BLOCK, Capability.PUBLISH}
    assert EmailConnector.capabilities == {Capability.POLL, Capability.REPLY_PRIVATE, Capability.ATTACHMENTS}
    for platform, connector in (("mastodon", MastodonConnector), ("bluesky", BlueskyConnector),
                                ("email", EmailConnector)):
        assert CONNECTORS[platform] is connector and callable(connector.send)
        assert NEEDS[Action.HIDE] not in connector.capabilities  # none of them can hide


# -- Mastodon --------------------------------------------------------------------------------

M_TOKEN = "mastodon-user-token"
M_US = {"id": "1", "username": "voltaro", "acct": "voltaro", "display_name": "Voltaro Support"}
M_FAN = {"id": "77", "username": "kim", "acct": "kim@other.example", "display_name": "Kim",
         "followers_count": 12}


@pytest.fixture
def instance() -> Iterator[tuple[HttpSink, MastodonApi]]:
    api = MastodonApi(M_TOKEN, M_US)
    with HttpSink(responder=api) as sink:
        api.base = sink.url
        yield sink, api


def mastodon(url: str, token: str = M_TOKEN) -> MastodonConnector:
    return MastodonConnector(MastodonConfig(key="masto", base_url=url, access_token=token,
                                            hashtags=["voltaro"]))


def stored_status(sink: HttpSink, api: MastodonApi) -> tuple[MastodonConnector, dict[str, Any]]:
    """A customer's status as the poller stored it (the canonical post the outbox hands back)."""
    api.publish({"created_at": "2026-12-04T10:00:00.000Z", "content": "<p>Akku brennt!</p>",
                 "visibility": "public", "account": M_FAN, "in_reply_to_id": None}, tags=("voltaro",))
    source = mastodon(sink.url)
    posts = [p.post for body in source.fetch(None).bodies for p in source.parse(body).posts]
    sink.requests.clear()
    return source, posts[0]


def test_mastodon_public_reply_mentions_the_author_and_is_idempotent(
        instance: tuple[HttpSink, MastodonApi]) -> None:
    sink, api = instance
    source, post = stored_status(sink, api)
    sent = source.send(outbound(Action.REPLY_PUBLIC, post, text="Bitte nicht laden, wir melden uns."))
    request = sink.requests[0]
    assert (request.method, request.path) == ("POST", "/api/v1/statuses")
    assert request.headers["idempotency-key"] == KEY
    assert request.headers["authorization"] == f"Bearer {M_TOKEN}"
    assert request.json() == {"status": "@kim@other.example Bitte nicht laden, wir melden uns.",
                              "visibility": "public", "in_reply_to_id": post["id"]}
    assert sent.external_id in api.created and sent.details["visibility"] == "public"
    again = source.send(outbound(Action.REPLY_PUBLIC, post, text="Bitte nicht laden, wir melden uns."))
    assert again.external_id == sent.external_id and len(api.created) == 1
    # a text that names the author already is sent as written
    source.send(outbound(Action.REPLY_PUBLIC, post, text="Hallo @Kim@other.example, danke!",
                         idempotency_key="other"))
    assert sink.requests[-1].json()["status"] == "Hallo @Kim@other.example, danke!"


def test_mastodon_private_reply_is_a_direct_status(instance: tuple[HttpSink, MastodonApi]) -> None:
    sink, api = instance
    source, post = stored_status(sink, api)
    sent = source.send(outbound(Action.REPLY_PRIVATE, post, text="Schick uns bitte die Seriennummer."))
    assert sink.requests[0].json() == {"status": "@kim@other.example Schick uns bitte die Seriennummer.",
                                       "visibility": "direct", "in_reply_to_id": post["id"]}
    assert api.created[str(sent.external_id)]["visibility"] == "direct"


def test_mastodon_delete_and_block(instance: tuple[HttpSink, MastodonApi]) -> None:
    sink, api = instance
    source, post = stored_status(sink, api)
    ours = source.send(outbound(Action.REPLY_PUBLIC, post, text="Wir prüfen das."))
    gone = source.send(Outbound(Action.DELETE, "del-1", target=ours.external_id))
    assert gone.external_id is None and api.deleted == [ours.external_id]
    last = sink.requests[-1]
    assert (last.method, last.path) == ("DELETE", f"/api/v1/statuses/{ours.external_id}")
    theirs = refused(source.send, outbound(Action.DELETE, post))
    assert theirs.permanent and theirs.code == 404 and "Record not found" in str(theirs)
    blocked = source.send(outbound(Action.BLOCK, post))
    assert (sink.requests[-1].method, sink.requests[-1].path) == ("POST", "/api/v1/accounts/77/block")
    assert blocked.external_id is None and blocked.details == {"blocking": "yes"} and api.blocked == ["77"]
    unknown = refused(source.send, Outbound(Action.BLOCK, "b-2", recipient="999"))
    assert unknown.permanent and unknown.code == 404


def test_mastodon_refusals_are_classified(instance: tuple[HttpSink, MastodonApi]) -> None:
    sink, api = instance
    source, post = stored_status(sink, api)
    long = refused(source.send, outbound(Action.REPLY_PUBLIC, post, text="x" * 600))
    assert long.permanent and long.code == 422 and "Text character limit of 500 exceeded" in str(long)
    lost = refused(source.send, outbound(Action.REPLY_PUBLIC, {**post, "id": "4711"}, text="Hallo"))
    assert lost.permanent and lost.code == 404 and "does not appear to exist" in str(lost)
    sink.script(Reply(503, {"error": "Service Unavailable"}, headers={"Retry-After": "12"}))
    busy = refused(source.send, outbound(Action.REPLY_PUBLIC, post, text="Hallo"))
    assert not busy.permanent and busy.retry_after == 12
    api.scopes = {"read"}
    scope = refused(source.send, outbound(Action.REPLY_PUBLIC, post, text="Hallo"))
    assert scope.permanent and scope.reauthorize and scope.code == 403
    api.scopes = {"read", "write"}
    hello = outbound(Action.REPLY_PUBLIC, post, text="Hallo")
    dead = refused(mastodon(sink.url, token="revoked").send, hello)
    assert dead.permanent and dead.reauthorize and dead.code == 401
    api.remaining = 0
    limited = refused(source.send, outbound(Action.REPLY_PUBLIC, post, text="Hallo"))
    assert not limited.permanent and limited.code == 429
    assert 250 < (limited.retry_after or 0) <= 300  # until X-RateLimit-Reset, five minutes ahead
    assert api.created == {}


@pytest.mark.parametrize(("text", "acct", "expected"), [
    ("Danke!", "kim@other.example", "@kim@other.example Danke!"),
    ("Danke @KIM@other.example.", "kim@other.example", "Danke @KIM@other.example."),
    ("Danke @kim@other.example", "kim", "@kim Danke @kim@other.example"),  # another account
    ("Danke @kimberly", "kim", "@kim Danke @kimberly"),
    ("Danke @kim.", "kim", "Danke @kim."),
])
def test_mastodon_mention_is_added_once(text: str, acct: str, expected: str) -> None:
    assert with_mention(text, acct) == expected


@pytest.mark.parametrize(("action", "change", "named"), [
    (Action.REPLY_PUBLIC, {"text": "  "}, "no text"),
    (Action.REPLY_PUBLIC, {"target": None}, "no target"),
    (Action.REPLY_PRIVATE, {"context": {"post": {"id": "1", "author": {"id": "77"}}}}, "@acct is unknown"),
    (Action.DELETE, {"target": ""}, "no target"),
    (Action.BLOCK, {"recipient": None, "context": {"post": {"id": "1"}}}, "no recipient"),
    (Action.HIDE, {}, "cannot hide"),
])
def test_mastodon_refuses_missing_data_before_any_request(
        instance: tuple[HttpSink, MastodonApi], action: Action, change: dict[str, Any], named: str) -> None:
    sink, api = instance
    source, post = stored_status(sink, api)
    base = outbound(action, post, text="Hallo")
    error = refused(source.send, dataclasses.replace(base, **change))
    assert error.permanent and named in str(error) and sink.requests == []


# -- Bluesky ---------------------------------------------------------------------------------

B_HANDLE, B_PASSWORD, B_DID = "voltaro.bsky.social", "abcd-efgh-ijkl-mnop", "did:plc:voltaro0000000000000000"
B_US = {"did": B_DID, "handle": B_HANDLE, "displayName": "Voltaro Support"}
B_FAN = {"did": "did:plc:kim000000000000000000000", "handle": "kim.bsky.social", "displayName": "Kim"}


@pytest.fixture
def pds() -> Iterator[tuple[HttpSink, BlueskyApi]]:
    api = BlueskyApi(B_HANDLE, B_PASSWORD, B_DID, {**B_US, "followersCount": 3})
    with HttpSink(responder=api) as sink:
        yield sink, api


def bluesky(url: str, password: str = B_PASSWORD) -> BlueskyConnector:
    return BlueskyConnector(BlueskyConfig(key="sky", handle=B_HANDLE, app_password=password,
                                          queries=["voltaro"], api_base=url))


def stored_posts(sink: HttpSink, source: BlueskyConnector) -> dict[str, dict[str, Any]]:
    posts = {p.post["id"]: p.post for body in source.fetch(None).bodies for p in source.parse(body).posts}
    sink.requests.clear()
    return posts


def test_bluesky_reply_names_root_and_parent_by_uri_and_cid(pds: tuple[HttpSink, BlueskyApi]) -> None:
    sink, api = pds
    top = api.publish("Voltaro Akku brennt!", author=B_FAN)
    answer = api.publish("Voltaro: wir melden uns", author=B_FAN, reply_to=top)
    source = bluesky(sink.url)
    stored = stored_posts(sink, source)
    assert stored[top["uri"]]["reply_ref"] == {"root": {"uri": top["uri"], "cid": top["cid"]},
                                               "parent": {"uri": top["uri"], "cid": top["cid"]}}
    text = "Danke – Infos: https://voltaro.example/rückruf."
    sent = source.send(outbound(Action.REPLY_PUBLIC, stored[answer["uri"]], text=text))
    request = sink.requests[0].json()
    assert sink.requests[0].path == "/xrpc/com.atproto.repo.createRecord"
    assert request["repo"] == B_DID and request["collection"] == "app.bsky.feed.post"
    record = request["record"]
    assert record["reply"] == {"root": {"uri": top["uri"], "cid": top["cid"]},
                               "parent": {"uri": answer["uri"], "cid": answer["cid"]}}
    assert record["text"] == text and record["createdAt"].endswith("Z")
    start = len("Danke – Infos: ".encode())
    assert record["facets"] == [{"index": {"byteStart": start, "byteEnd": start + len(
        "https://voltaro.example/rückruf".encode())}, "features": [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://voltaro.example/rückruf"}]}]
    assert sent.external_id in api.records and sent.details["cid"].startswith("bafyrei")


def test_bluesky_delete_ours_and_block(pds: tuple[HttpSink, BlueskyApi]) -> None:
    sink, api = pds
    top = api.publish("Voltaro Akku brennt!", author=B_FAN)
    source = bluesky(sink.url)
    post = stored_posts(sink, source)[top["uri"]]
    ours = source.send(outbound(Action.REPLY_PUBLIC, post, text="Wir prüfen das."))
    assert source.send(Outbound(Action.DELETE, "d-1", target=ours.external_id)).external_id is None
    rkey = str(ours.external_id).rsplit("/", 1)[1]
    assert sink.requests[-1].json() == {"repo": B_DID, "collection": "app.bsky.feed.post", "rkey": rkey}
    assert api.deleted == [ours.external_id]
    calls = len(sink.requests)
    theirs = refused(source.send, outbound(Action.DELETE, post))
    assert theirs.permanent and "only our own posts" in str(theirs) and len(sink.requests) == calls
    blocked = source.send(outbound(Action.BLOCK, post))
    record = sink.requests[-1].json()["record"]
    assert record["$type"] == "app.bsky.graph.block" and record["subject"] == B_FAN["did"]
    assert blocked.external_id is None and api.records[blocked.details["block"]] == record


def test_bluesky_refusals_are_classified(pds: tuple[HttpSink, BlueskyApi]) -> None:
    sink, api = pds
    top = api.publish("Voltaro Akku brennt!", author=B_FAN)
    source = bluesky(sink.url)
    post = stored_posts(sink, source)[top["uri"]]
    invalid = refused(source.send, outbound(Action.REPLY_PUBLIC, post, text="x" * 301))
    assert invalid.permanent and invalid.code == "InvalidRequest" and "300 graphemes" in str(invalid)
    api.expire_access()  # ExpiredToken: refreshed, then sent
    assert source.send(outbound(Action.REPLY_PUBLIC, post, text="Hallo")).external_id in api.records
    assert api.refreshes == 1 and api.sessions == 1
    reset = int(time.time()) + 90
    sink.script(Reply(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                      headers={"ratelimit-reset": str(reset)}))
    limited = refused(source.send, outbound(Action.REPLY_PUBLIC, post, text="Hallo"))
    assert not limited.permanent and limited.code == 429 and 80 < (limited.retry_after or 0) <= 90
    hello = outbound(Action.REPLY_PUBLIC, post, text="Hallo")
    dead = refused(bluesky(sink.url, password="wrong").send, hello)
    assert dead.permanent and dead.reauthorize


@pytest.mark.parametrize(("action", "change", "named"), [
    (Action.REPLY_PUBLIC, {"text": ""}, "no text"),
    (Action.REPLY_PUBLIC, {"target": None}, "no target"),
    (Action.REPLY_PUBLIC, {"context": {"post": {"id": "x"}}}, "has no CID"),
    (Action.REPLY_PUBLIC, {"target": "at://did:plc:other/app.bsky.feed.post/1"}, "not the target"),
    (Action.DELETE, {"target": "https://bsky.app/profile/kim/post/1"}, "not an at://"),
    (Action.BLOCK, {"recipient": "kim.bsky.social"}, "DID is unknown"),
    (Action.REPLY_PRIVATE, {}, "cannot reply_private"),
])
def test_bluesky_refuses_missing_data_before_any_request(
        pds: tuple[HttpSink, BlueskyApi], action: Action, change: dict[str, Any], named: str) -> None:
    sink, api = pds
    top = api.publish("Voltaro Akku brennt!", author=B_FAN)
    source = bluesky(sink.url)
    base = outbound(action, stored_posts(sink, source)[top["uri"]], text="Hallo")
    error = refused(source.send, dataclasses.replace(base, **change))
    assert error.permanent and named in str(error) and sink.requests == []


# -- E-mail ----------------------------------------------------------------------------------

MAILBOX = "service@voltaro.example"


def mail_channel(port: int | None, **smtp: Any) -> EmailConnector:
    """The mailbox's channel, sending through 127.0.0.1:``port`` (None: no smtp block)."""
    block = None if port is None else {"host": "127.0.0.1", "port": port, "starttls": False,
                                       "from": f"Voltaro Service <{MAILBOX}>", **smtp}
    return EmailConnector(EmailConfig.model_validate({
        "key": "support", "address": MAILBOX, "smtp": block,
        "imap": {"host": "127.0.0.1", "username": MAILBOX, "password": "unused"}}))


def stored_mail(raw: bytes) -> dict[str, Any]:
    """A mail as the IMAP poller stores it and the mapping turns it into a post."""
    body = orjson.dumps({"uid": 1, "uidvalidity": 1, "message": base64.b64encode(raw).decode()})
    return map_mail(body, channel="support", own_address=MAILBOX).posts[0].post


ORIGINAL = (b"From: Lena Wolf <lena@example.org>\r\nTo: service@voltaro.example\r\n"
            b"Subject: =?utf-8?q?AW:_Re:_R=C3=BCckerstattung_=C3=BCberf=C3=A4llig?=\r\n"
            b"Message-ID: <m9@example.org>\r\nIn-Reply-To: <m1@voltaro.example>\r\n"
            b"References: <m0@example.org> <m1@voltaro.example>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0100\r\n"
            b"\r\nImmer noch nichts!\r\n")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def test_email_reply_threads_under_the_original(smtp_server: SmtpServer) -> None:
    post = stored_mail(ORIGINAL)
    assert post["subject"] == "AW: Re: Rückerstattung überfällig"
    text = "Guten Tag Frau Wolf,\n\ndas Geld ist unterwegs. Grüße"
    sent = mail_channel(smtp_server.port).send(outbound(Action.REPLY_PRIVATE, post, text=text))
    received = smtp_server.received[0]
    msg = received.message
    assert received.rcpt_tos == ["lena@example.org"] and received.mail_from == MAILBOX
    assert msg["To"] == "Lena Wolf <lena@example.org>" and msg["From"] == f"Voltaro Service <{MAILBOX}>"
    assert msg["Subject"] == "Re: Rückerstattung überfällig"
    assert msg["In-Reply-To"] == "<m9@example.org>"
    assert msg["References"] == "<m0@example.org> <m9@example.org>"
    assert msg["Message-ID"] == f"<crisisdesk.{KEY}@voltaro.example>" == f"<{sent.external_id}>"
    assert msg["Reply-To"] is None  # From is the mailbox already
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert msg.get_content().replace("\r\n", "\n") == text + "\n"
    # read back from the mailbox, the reply is the id we returned, in the customer's thread
    back = stored_mail(received.raw)
    assert back["id"] == sent.external_id and back["conversation_id"] == post["conversation_id"]
    assert back["in_reply_to"] == post["id"]


def test_email_reply_goes_to_reply_to_and_from_another_sender(smtp_server: SmtpServer) -> None:
    form = (b"From: Kontaktformular <noreply@forms.example>\r\nReply-To: Tom <tom@example.org>\r\n"
            b"Subject: Kontakt\r\n\r\nDer Roller brennt!\r\n")  # no Message-ID: stored under a hash
    post = stored_mail(form)
    channel = mail_channel(smtp_server.port, **{"from": "alerts@voltaro.example"})
    channel.send(outbound(Action.REPLY_PRIVATE, post, text="Bitte nicht mehr benutzen."))
    received = smtp_server.received[0]
    assert received.rcpt_tos == ["tom@example.org"] and received.message["To"] == "Tom <tom@example.org>"
    assert received.message["Reply-To"] == MAILBOX and received.message["Subject"] == "Re: Kontakt"
    assert received.message["In-Reply-To"] is None and received.message["References"] is None


def test_email_refusals_are_classified(smtp_server: SmtpServer) -> None:
    post = stored_mail(ORIGINAL)
    channel = mail_channel(smtp_server.port)
    call = outbound(Action.REPLY_PRIVATE, post, text="Hallo")
    smtp_server.script("451 4.3.0 try again later")
    later = refused(channel.send, call)
    assert not later.permanent and later.code == 451 and "try again later" in str(later)
    smtp_server.script("554 5.7.1 rejected as spam")
    spam = refused(channel.send, call)
    assert spam.permanent and spam.code == 554 and "rejected as spam" in str(spam)
    smtp_server.refuse = {"lena@example.org"}
    nobody = refused(channel.send, call)
    assert nobody.permanent and nobody.code == 550 and "no such mailbox" in str(nobody)
    assert smtp_server.received == []
    gone = refused(mail_channel(free_port()).send, call)  # nothing listens there
    assert not gone.permanent and "ConnectionRefusedError" in str(gone)
    with SmtpServer(users={"service": "right"}) as guarded:
        login = refused(mail_channel(guarded.port, username="service", password="wrong").send, call)
        assert login.permanent and login.reauthorize and login.code == 535


@pytest.mark.parametrize(("change", "named"), [
    ({"text": None}, "no text"),
    ({"target": None}, "no target"),
    ({"recipient": "unknown", "context": {"post": {"id": "m9@example.org"}}}, "no recipient"),
    ({"recipient": "lena at example.org", "context": {"post": {"id": "m9@example.org"}}},
     "not an e-mail address"),
])
def test_email_refuses_missing_data_before_any_mail(smtp_server: SmtpServer, change: dict[str, Any],
                                                    named: str) -> None:
    base = outbound(Action.REPLY_PRIVATE, stored_mail(ORIGINAL), text="Hallo")
    error = refused(mail_channel(smtp_server.port).send, dataclasses.replace(base, **change))
    assert error.permanent and named in str(error) and smtp_server.received == []


def test_email_without_smtp_or_for_other_actions_refuses() -> None:
    call = outbound(Action.REPLY_PRIVATE, stored_mail(ORIGINAL), text="Hallo")
    assert "no smtp block" in str(refused(mail_channel(None).send, call))
    public = refused(mail_channel(None).send, Outbound(Action.REPLY_PUBLIC, KEY, target="m9@example.org",
                                                      text="Hallo"))
    assert public.permanent and "cannot reply_public" in str(public)


@pytest.mark.parametrize(("subject", "expected"), [
    ("Rückerstattung", "Re: Rückerstattung"), ("Re: Rückerstattung", "Re: Rückerstattung"),
    ("AW: RE: re[2]: Akku", "Re: Akku"), ("  Akku\r\n kaputt ", "Re: Akku kaputt"), ("", "Re:"),
    ("Reklamation", "Re: Reklamation"),
])
def test_reply_subject_has_one_re(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_message_id_keeps_the_key_and_never_merges_two() -> None:
    assert message_id("outbox-7f3c2a", "voltaro.example") == "crisisdesk.outbox-7f3c2a@voltaro.example"
    assert message_id("outbox:17", "v.example") == "crisisdesk.outbox=3A17@v.example"
    assert message_id("outbox=3A17", "v.example") != message_id("outbox:17", "v.example")
    assert message_id("x" * 400, "v.example").startswith("crisisdesk.sha256-")
