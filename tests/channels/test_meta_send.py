"""Sending through the Meta connectors, against a loopback Graph API (tests/fakes/meta_send.py).

Each action makes the documented request (../shared/docs/CHANNEL-APIS.md §1.5, §2.2) and returns
the id Meta gave; Meta's refusals come back classified (§1.6, §1.7, §2.3, §2.4); what lacks the
data it needs is refused before anything is sent.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from crisisdesk.channels.base import Capability, PlatformError
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.instagram.config import InstagramConfig
from crisisdesk.channels.instagram.connector import InstagramConnector
from crisisdesk.channels.outgoing import Action, Outbound, SendingConnector
from crisisdesk.channels.whatsapp.config import WhatsAppConfig
from crisisdesk.channels.whatsapp.connector import WhatsAppConnector
from tests.channels.payloads import APP_SECRET, IG_ID, PAGE_ID, PNID, VERIFY_TOKEN
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend, Hangup, throttled, whatsapp_error, window_closed

TOKEN = "page-token"
FB_POST = f"{PAGE_ID}_501"
FB_COMMENT = "501_7001"  # a customer's comment under the page's post
FB_VISITOR_POST = f"{PAGE_ID}_777"  # a post someone wrote on the page
IG_COMMENT = "17858893269000001"
IG_REPLY = "17858893269000002"  # a reply to IG_COMMENT
PSID = "24066543219876543"
IGSID = "1789000111222333"
WA_ID = "4915112345678"
WAMID = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjA"


def config(api_base: str, token: str = TOKEN) -> dict[str, Any]:
    return {"api_base": api_base, "access_token": token, "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN}


@pytest.fixture
def api() -> GraphSend:
    fake = GraphSend(TOKEN, pages=(PAGE_ID,), instagram=(IG_ID,), numbers=(PNID,),
                     wa_ids={"5511912345678": "551112345678"})
    fake.add_comment(FB_COMMENT, "facebook", author="6200000000000001", parent=FB_POST)
    fake.add_comment(FB_VISITOR_POST, "facebook", author="6200000000000002", kind="post")
    fake.add_comment(IG_COMMENT, "instagram", author="17841400000000099")
    fake.add_comment(IG_REPLY, "instagram", author="17841400000000098", parent=IG_COMMENT)
    return fake


@pytest.fixture
def sink(api: GraphSend) -> Iterator[HttpSink]:
    with HttpSink(responder=api) as server:
        yield server


def facebook(base: str, token: str = TOKEN) -> FacebookConnector:
    return FacebookConnector(FacebookConfig.model_validate({"key": "fb", "page_id": PAGE_ID,
                                                            **config(base, token)}))


def instagram(base: str) -> InstagramConnector:
    return InstagramConnector(InstagramConfig.model_validate({"key": "ig", "account_id": IG_ID,
                                                              **config(base)}))


def whatsapp(base: str) -> WhatsAppConnector:
    return WhatsAppConnector(WhatsAppConfig.model_validate({"key": "wa", "phone_number_id": PNID,
                                                            **config(base)}))


def comment_context(kind: str = "comment", in_reply_to: str | None = None) -> dict[str, Any]:
    return {"public": True, "post": {"kind": kind, "in_reply_to": in_reply_to}}


# --- capabilities ---------------------------------------------------------------------------------


def test_each_connector_declares_what_its_platform_can_do() -> None:
    sending = {Capability.REPLY_PUBLIC, Capability.REPLY_PRIVATE, Capability.HIDE, Capability.DELETE,
               Capability.BLOCK}
    meta = {Capability.WEBHOOK, Capability.HANDSHAKE}
    statuses = {Capability.DELIVERY_STATUS}  # Messenger / Instagram DM delivery and read watermarks
    files = {Capability.ATTACHMENTS}  # Messenger chats and WhatsApp; Instagram takes none
    publish = {Capability.PUBLISH}  # a page post; Instagram cannot post a text alone
    insights = {Capability.INSIGHTS, Capability.OWN_POSTS}  # insights, our posts; not WhatsApp
    assert FacebookConnector.capabilities == (meta | statuses | files | publish | insights
                                              | (sending - {Capability.BLOCK}))
    assert InstagramConnector.capabilities == (meta | statuses | insights | {Capability.LOOK_UP}  # mentions
                                               | (sending - {Capability.BLOCK}))
    assert WhatsAppConnector.capabilities == meta | files | {Capability.REPLY_PRIVATE,
                                                             Capability.DELIVERY_STATUS}
    connectors: list[SendingConnector] = [facebook("http://127.0.0.1:9"), instagram("http://127.0.0.1:9"),
                                          whatsapp("http://127.0.0.1:9")]
    assert all(callable(c.send) for c in connectors)


# --- Facebook ------------------------------------------------------------------------------------


def test_facebook_public_reply_comments_under_the_comment(sink: HttpSink, api: GraphSend) -> None:
    outbound = Outbound(Action.REPLY_PUBLIC, "k1", target=FB_COMMENT, text="Wir prüfen das.",
                        thread=f"facebook:{PAGE_ID}:post:{FB_POST}")
    sent = facebook(sink.url).send(outbound)
    (request,) = sink.requests
    assert (request.method, request.path) == ("POST", f"/v25.0/{FB_COMMENT}/comments")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json() == {"message": "Wir prüfen das."}
    assert sent.external_id in api.created and api.comments[sent.external_id].parent == FB_COMMENT


def test_facebook_private_reply_to_a_comment_names_the_comment(sink: HttpSink, api: GraphSend) -> None:
    outbound = Outbound(Action.REPLY_PRIVATE, "k2", target=FB_COMMENT, text="Schreiben Sie uns Ihre Nummer.",
                        recipient="6200000000000001", context=comment_context())
    sent = facebook(sink.url).send(outbound)
    (request,) = sink.requests
    assert (request.method, request.path) == ("POST", f"/v25.0/{PAGE_ID}/messages")
    assert request.json() == {"recipient": {"comment_id": FB_COMMENT},
                              "message": {"text": "Schreiben Sie uns Ihre Nummer."}}
    assert sent.external_id is not None and sent.external_id.startswith("m_")
    assert sent.details == {"recipient_id": "6200000000000001"}


def test_facebook_private_reply_to_a_visitor_post_names_the_post(sink: HttpSink) -> None:
    facebook(sink.url).send(Outbound(Action.REPLY_PRIVATE, "k3", target=FB_VISITOR_POST, text="Danke!",
                                     thread=f"facebook:{PAGE_ID}:post:{FB_VISITOR_POST}",
                                     context={"post": {"kind": "post"}}))
    assert sink.requests[0].json()["recipient"] == {"post_id": FB_VISITOR_POST}


def test_facebook_messenger_reply_is_a_response_to_the_psid_of_the_thread(sink: HttpSink) -> None:
    sent = facebook(sink.url).send(Outbound(Action.REPLY_PRIVATE, "k4", target="m_inbound", text="Hallo!",
                                            thread=f"facebook:{PAGE_ID}:{PSID}", context={"public": False}))
    (request,) = sink.requests
    assert request.path == f"/v25.0/{PAGE_ID}/messages"
    assert request.json() == {"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
                              "message": {"text": "Hallo!"}}
    assert sent.details == {"recipient_id": PSID}


def test_facebook_hide_unhide_and_delete(sink: HttpSink, api: GraphSend) -> None:
    fb = facebook(sink.url)
    thread = f"facebook:{PAGE_ID}:post:{FB_POST}"
    assert fb.send(Outbound(Action.HIDE, "h", target=FB_COMMENT, thread=thread)).external_id is None
    assert api.comments[FB_COMMENT].hidden
    fb.send(Outbound(Action.UNHIDE, "u", target=FB_COMMENT, thread=thread))
    assert not api.comments[FB_COMMENT].hidden
    fb.send(Outbound(Action.DELETE, "d", target=FB_COMMENT, thread=thread))
    assert FB_COMMENT in api.deleted
    assert [(r.method, r.path, r.body) for r in sink.requests] == [
        ("POST", f"/v25.0/{FB_COMMENT}", b'{"is_hidden":true}'),
        ("POST", f"/v25.0/{FB_COMMENT}", b'{"is_hidden":false}'),
        ("DELETE", f"/v25.0/{FB_COMMENT}", b""),
    ]
    with pytest.raises(PlatformError) as gone:  # deleted on the platform meanwhile: retrying cannot help
        fb.send(Outbound(Action.DELETE, "d2", target=FB_COMMENT, thread=thread))
    assert gone.value.permanent and gone.value.code == 100 and "does not exist" in str(gone.value)


def test_facebook_offers_no_blocking(sink: HttpSink) -> None:
    with pytest.raises(PlatformError) as refused:
        facebook(sink.url).send(Outbound(Action.BLOCK, "b", recipient=PSID))
    assert refused.value.permanent and "cannot block" in str(refused.value)
    assert sink.requests == []


# --- Instagram -----------------------------------------------------------------------------------


def test_instagram_public_reply_goes_to_replies(sink: HttpSink, api: GraphSend) -> None:
    sent = instagram(sink.url).send(Outbound(Action.REPLY_PUBLIC, "i1", target=IG_COMMENT, text="Danke!",
                                             thread=f"instagram:{IG_ID}:media:1790001"))
    (request,) = sink.requests
    assert (request.method, request.path, request.json()) == ("POST", f"/v25.0/{IG_COMMENT}/replies",
                                                              {"message": "Danke!"})
    assert sent.external_id in api.created and sent.details == {}


def test_instagram_reply_to_a_reply_goes_under_its_top_level_comment(sink: HttpSink, api: GraphSend) -> None:
    sent = instagram(sink.url).send(Outbound(Action.REPLY_PUBLIC, "i2", target=IG_REPLY, text="Gern!",
                                             context=comment_context("reply", IG_COMMENT)))
    assert sink.requests[0].path == f"/v25.0/{IG_COMMENT}/replies"
    assert sent.external_id in api.created and sent.details == {"replied_to": IG_COMMENT}


def test_instagram_private_reply_and_direct_message(sink: HttpSink) -> None:
    ig = instagram(sink.url)
    to_comment = ig.send(Outbound(Action.REPLY_PRIVATE, "i3", target=IG_COMMENT, text="Per DM mehr.",
                                  thread=f"instagram:{IG_ID}:media:1790001"))
    in_chat = ig.send(Outbound(Action.REPLY_PRIVATE, "i4", text="Hallo!",
                               thread=f"instagram:{IG_ID}:{IGSID}"))
    first, second = sink.requests
    assert first.path == second.path == f"/v25.0/{IG_ID}/messages"
    assert first.json() == {"recipient": {"comment_id": IG_COMMENT}, "message": {"text": "Per DM mehr."}}
    assert second.json() == {"recipient": {"id": IGSID}, "message": {"text": "Hallo!"}}
    assert to_comment.details == {"recipient_id": "17841400000000099"}
    assert in_chat.external_id is not None and in_chat.external_id != to_comment.external_id


def test_instagram_hide_unhide_and_delete(sink: HttpSink, api: GraphSend) -> None:
    ig = instagram(sink.url)
    ig.send(Outbound(Action.HIDE, "h", target=IG_COMMENT, context={"public": True}))
    assert api.comments[IG_COMMENT].hidden
    ig.send(Outbound(Action.UNHIDE, "u", target=IG_COMMENT, context={"public": True}))
    ig.send(Outbound(Action.DELETE, "d", target=IG_REPLY, context={"public": True}))
    assert [(r.method, r.path, r.body) for r in sink.requests] == [
        ("POST", f"/v25.0/{IG_COMMENT}", b'{"hide":true}'),
        ("POST", f"/v25.0/{IG_COMMENT}", b'{"hide":false}'),
        ("DELETE", f"/v25.0/{IG_REPLY}", b""),
    ]
    assert not api.comments[IG_COMMENT].hidden and IG_REPLY in api.deleted


# --- WhatsApp ------------------------------------------------------------------------------------


def test_whatsapp_reply_quotes_the_message_and_returns_the_wamid(sink: HttpSink, api: GraphSend) -> None:
    sent = whatsapp(sink.url).send(Outbound(Action.REPLY_PRIVATE, "w1", target=WAMID, text="Wir melden uns.",
                                            thread=f"whatsapp:{PNID}:{WA_ID}"))
    (request,) = sink.requests
    assert (request.method, request.path) == ("POST", f"/v25.0/{PNID}/messages")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json() == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": WA_ID,
                              "type": "text", "text": {"body": "Wir melden uns."},
                              "context": {"message_id": WAMID}}
    assert sent.external_id is not None and sent.external_id.startswith("wamid.")
    assert api.created[sent.external_id]["to"] == WA_ID
    assert sent.details == {"wa_id": WA_ID}


def test_whatsapp_message_without_quote_to_the_recipient_and_its_canonical_id(sink: HttpSink) -> None:
    sent = whatsapp(sink.url).send(Outbound(Action.REPLY_PRIVATE, "w2", recipient="5511912345678",
                                            text="Olá"))
    body = sink.requests[0].json()
    assert body["to"] == "5511912345678" and "context" not in body
    assert sent.details == {"wa_id": "551112345678"}  # Brazil's ninth digit: WhatsApp's id differs


@pytest.mark.parametrize("action", [Action.REPLY_PUBLIC, Action.HIDE, Action.DELETE, Action.BLOCK])
def test_whatsapp_refuses_what_it_cannot_do(sink: HttpSink, action: Action) -> None:
    with pytest.raises(PlatformError) as refused:
        whatsapp(sink.url).send(Outbound(action, "w3", target=WAMID, text="x", recipient=WA_ID))
    assert refused.value.permanent and "channel wa cannot do that" in str(refused.value)
    assert sink.requests == []


# --- refusals --------------------------------------------------------------------------------------


def test_closed_messaging_windows_are_permanent_with_the_reason(sink: HttpSink, api: GraphSend) -> None:
    api.fail_next(window_closed(2018278), window_closed(2534022))
    for connector, thread in ((facebook(sink.url), f"facebook:{PAGE_ID}:{PSID}"),
                              (instagram(sink.url), f"instagram:{IG_ID}:{IGSID}")):
        with pytest.raises(PlatformError) as closed:
            connector.send(Outbound(Action.REPLY_PRIVATE, "late", text="Hallo?", thread=thread))
        assert closed.value.permanent and closed.value.code == 10 and closed.value.retry_after is None
        assert "24-hour messaging window is closed" in str(closed.value)
    assert len(sink.requests) == 2


def test_whatsapp_re_engagement_and_undeliverable_are_permanent(sink: HttpSink, api: GraphSend) -> None:
    api.fail_next(whatsapp_error(131047, "Re-engagement message", "More than 24 hours have passed since the "
                                 "recipient last replied to the sender number."),
                  whatsapp_error(131026, "Message undeliverable", "Unable to deliver message."))
    wa = whatsapp(sink.url)
    outbound = Outbound(Action.REPLY_PRIVATE, "w", text="Hallo", thread=f"whatsapp:{PNID}:{WA_ID}")
    with pytest.raises(PlatformError) as window:
        wa.send(outbound)
    message = str(window.value)
    assert window.value.permanent and window.value.code == 131047
    assert "a template message is needed" in message and "More than 24 hours" in message
    assert "(#131047)" not in message  # Meta's repeated code is not shown twice
    with pytest.raises(PlatformError) as undeliverable:
        wa.send(outbound)
    assert undeliverable.value.permanent and "not on WhatsApp" in str(undeliverable.value)


@pytest.mark.parametrize(("reply", "wait"), [
    (throttled(32, "(#32) Page request limit reached",
               X_Business_Use_Case_Usage=f'{{"{PAGE_ID}": [{{"type": "pages", "call_count": 100, '
                                         f'"estimated_time_to_regain_access": 3}}]}}'), 180.0),
    (throttled(613, "Calls to this api have exceeded the rate limit.", Retry_After="7"), 7.0),
    (throttled(4, "(#4) Application request limit reached"), 60.0),
    (whatsapp_error(130429, "Rate limit hit", "Cloud API message throughput has been reached."), 2.0),
    (whatsapp_error(131056, "(Business Account, Consumer Account) pair rate limit hit", "Too many."), 6.0),
])
def test_throttling_is_transient_with_a_wait(sink: HttpSink, api: GraphSend, reply: Any, wait: float) -> None:
    api.fail_next(reply)
    with pytest.raises(PlatformError) as throttled_error:
        whatsapp(sink.url).send(Outbound(Action.REPLY_PRIVATE, "t", text="Hallo", recipient=WA_ID))
    assert not throttled_error.value.permanent and throttled_error.value.retry_after == wait
    assert "rate limited" in str(throttled_error.value)


def test_a_dead_token_asks_for_new_credentials(sink: HttpSink) -> None:
    with pytest.raises(PlatformError) as dead:
        facebook(sink.url, token="revoked").send(Outbound(Action.HIDE, "h", target=FB_COMMENT))
    assert dead.value.permanent and dead.value.reauthorize and dead.value.code == 190


def test_a_second_private_reply_to_the_same_comment_is_refused_by_meta(sink: HttpSink) -> None:
    fb = facebook(sink.url)
    outbound = Outbound(Action.REPLY_PRIVATE, "p", target=FB_COMMENT, text="Hallo", context=comment_context())
    fb.send(outbound)
    with pytest.raises(PlatformError) as again:
        fb.send(outbound)
    assert again.value.permanent and "already" in str(again.value)


def test_a_private_reply_whose_answer_was_lost_is_not_retried() -> None:
    with Hangup() as server:
        with pytest.raises(PlatformError) as lost:
            facebook(server.url).send(Outbound(Action.REPLY_PRIVATE, "p", target=FB_COMMENT, text="Hallo",
                                               context=comment_context()))
        assert lost.value.permanent and "only one private reply per comment" in str(lost.value)
        with pytest.raises(PlatformError) as chat:  # a chat message may be sent again
            facebook(server.url).send(Outbound(Action.REPLY_PRIVATE, "c", text="Hallo",
                                               thread=f"facebook:{PAGE_ID}:{PSID}"))
        assert not chat.value.permanent and chat.value.retry_after
        assert len(server.requests) == 2 and b'"comment_id"' in server.requests[0]


def test_a_private_reply_that_never_left_may_be_retried() -> None:
    with socket.socket() as unused:  # a port nobody listens on: the connection never opens
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    with pytest.raises(PlatformError) as unreachable:
        facebook(closed).send(Outbound(Action.REPLY_PRIVATE, "p", target=FB_COMMENT, text="Hallo",
                                       context=comment_context()))
    assert not unreachable.value.permanent and "cannot be reached" in str(unreachable.value)


# --- missing data: refused before any request -----------------------------------------------------

FB_THREAD = f"facebook:{PAGE_ID}:post:{FB_POST}"


@pytest.mark.parametrize(("make", "outbound", "says"), [
    (facebook, Outbound(Action.REPLY_PUBLIC, "m", target=FB_COMMENT, thread=FB_THREAD), "no text"),
    (facebook, Outbound(Action.REPLY_PUBLIC, "m", target=FB_COMMENT, text="  \n"), "no text"),
    (facebook, Outbound(Action.REPLY_PUBLIC, "m", text="Hallo", thread=FB_THREAD),
     "no target (the comment or post to reply to)"),
    (facebook, Outbound(Action.REPLY_PRIVATE, "m", text="Hallo", thread=FB_THREAD),
     "no target (the comment to answer privately)"),
    (facebook, Outbound(Action.REPLY_PRIVATE, "m", text="Hallo"), "no recipient"),
    (facebook, Outbound(Action.HIDE, "m", thread=FB_THREAD), "no target (the comment to hide)"),
    (facebook, Outbound(Action.DELETE, "m"), "no target (the comment to delete)"),
    (facebook, Outbound(Action.HIDE, "m", target="m_abc", thread=f"facebook:{PAGE_ID}:{PSID}"),
     "m_abc is a private message"),
    (facebook, Outbound(Action.REPLY_PRIVATE, "m", text="Hallo", thread=f"facebook:999:{PSID}"),
     "is not one of facebook account"),
    (instagram, Outbound(Action.REPLY_PUBLIC, "m", target=IG_COMMENT), "no text"),
    (instagram, Outbound(Action.REPLY_PRIVATE, "m", text="Hallo", context={"public": False}), "no recipient"),
    (instagram, Outbound(Action.REPLY_PUBLIC, "m", text="Hallo", target="aWdfZA", context={"public": False}),
     "is a private message"),
    (whatsapp, Outbound(Action.REPLY_PRIVATE, "m", text="Hallo", target=WAMID), "no recipient"),
    (whatsapp, Outbound(Action.REPLY_PRIVATE, "m", recipient=WA_ID), "no text"),
    (whatsapp, Outbound(Action.REPLY_PRIVATE, "m", text="Hallo", thread=f"whatsapp:999:{WA_ID}"),
     "is not one of whatsapp account"),
])
def test_missing_data_is_refused_without_a_request(sink: HttpSink, make: Any, outbound: Outbound,
                                                   says: str) -> None:
    with pytest.raises(PlatformError) as refused:
        make(sink.url).send(outbound)
    assert refused.value.permanent and says in str(refused.value)
    assert sink.requests == []
