"""Instagram @mentions, against a loopback Graph API that answers the mention endpoints as Meta
documents them (tests/fakes/meta_mentions.py): the ``mentions`` webhook names a comment or a
caption, the comment's text is fetched from the account node, stored as a delivery and becomes a
post and a conversation; a webhook delivered twice fetches once; a mention that is gone is kept
with Meta's reason; a rate limit is waited out; our answer goes through ``/{ig-user-id}/mentions``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.channels.base import Capability, Lookup, PlatformError
from crisisdesk.channels.lookups import MOST_ATTEMPTS, run_due
from crisisdesk.channels.models import ChannelDelivery, ChannelLookup, LookupStatus, UnparsedItem
from crisisdesk.channels.outgoing import Action, Outbound
from crisisdesk.channels.processor import process_pending
from crisisdesk.channels.service import store_delivery
from crisisdesk.core.clock import SystemClock
from crisisdesk.inbox.models import Conversation
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.channels.payloads import APP_SECRET, IG_ID, VERIFY_TOKEN, meta_body
from tests.channels.test_insights import TOKEN, instagram
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_graph import graph_error
from tests.fakes.meta_mentions import GraphMentions, Mentioning

NOW = datetime.now(UTC).replace(microsecond=0)
MEDIA = "17900000000000777"  # someone else's photo
COMMENT = "17950000000000123"  # a comment under it that mentions us
CAPTION = "17900000000000888"  # a photo whose caption mentions us
GONE = "17950000000000999"


def mentioning() -> list[Mentioning]:
    return [
        Mentioning(COMMENT, "@voltaro mein Akku hat gequalmt, keine Antwort vom Support!",
                   NOW - timedelta(minutes=3), "lena.k", "6100000000000042", likes=7, media=MEDIA),
        Mentioning(CAPTION, "Unser neues E-Bike von @voltaro 🚲", NOW - timedelta(hours=1), "tom.rides",
                   "6100000000000043", likes=120, comments=9),
        Mentioning(GONE, "off", NOW, "x", "6100000000000044", media="17900000000000111", comments_off=True),
    ]


@pytest.fixture
def graph() -> Iterator[tuple[HttpSink, GraphMentions]]:
    api = GraphMentions(TOKEN, IG_ID, mentioning())
    with HttpSink(responder=api) as sink:
        yield sink, api


def mention_change(media: str, comment: str | None = None) -> dict[str, object]:
    value = {"media_id": media, **({"comment_id": comment} if comment else {})}
    return {"field": "mentions", "value": value}


def webhook(*changes: dict[str, object]) -> bytes:
    return meta_body("instagram", [{"id": IG_ID, "time": int(NOW.timestamp()), "changes": list(changes)}])


def fields_asked(sink: HttpSink) -> list[str]:
    return [parse_qs(r.path.partition("?")[2])["fields"][0] for r in sink.requests if r.method == "GET"]


def test_the_connector_says_it_looks_up() -> None:
    assert Capability.LOOK_UP in instagram("http://127.0.0.1:9").capabilities


@pytest.mark.parametrize(("value", "expected"), [
    ({"media_id": MEDIA, "comment_id": COMMENT}, Lookup("mentioned_comment", {"comment_id": COMMENT,
                                                                               "media_id": MEDIA})),
    ({"media_id": int(CAPTION)}, Lookup("mentioned_media", {"media_id": CAPTION})),
    ({"comment_id": COMMENT}, "mention without a media_id"),
    ({"media_id": "m10", "comment_id": COMMENT}, "mention with a media_id that is not a Graph id"),
    ({"media_id": MEDIA, "comment_id": "../me"}, "mention with a comment_id that is not a Graph id"),
    ("not an object", "change of field 'mentions'"),
])
def test_a_mentions_change_becomes_a_lookup_or_is_kept_with_the_reason(value: object,
                                                                       expected: object) -> None:
    out = instagram("http://127.0.0.1:9").parse(webhook({"field": "mentions", "value": value}))
    assert out.posts == []
    if isinstance(expected, Lookup):
        assert [(lk.what, dict(lk.ids)) for lk in out.lookups] == [(expected.what, dict(expected.ids))]
        assert out.unparsed == []
    else:
        assert out.lookups == [] and [u.what for u in out.unparsed] == [expected]


def test_a_mentioning_comment_is_fetched_and_read_as_the_authors_public_comment(
        graph: tuple[HttpSink, GraphMentions]) -> None:
    sink, _ = graph
    connector = instagram(sink.url)
    (lookup,) = connector.parse(webhook(mention_change(MEDIA, COMMENT))).lookups
    body = connector.look_up(lookup, now=NOW)
    (post,) = connector.parse(body).posts
    assert post.post == {
        "platform": "instagram", "id": COMMENT, "created_at": (NOW - timedelta(minutes=3)).isoformat(),
        "text": "@voltaro mein Akku hat gequalmt, keine Antwort vom Support!", "kind": "comment",
        "channel": "ig", "conversation_id": MEDIA, "in_reply_to": MEDIA, "metrics": {"likes": 7},
        "url": f"https://www.instagram.com/p/{MEDIA}/",
        "author": {"id": "6100000000000042", "handle": "lena.k"}}
    assert post.public and not post.own and post.thread == f"instagram:{IG_ID}:mention:{MEDIA}"
    assert fields_asked(sink) == [
        f"mentioned_comment.comment_id({COMMENT}){{id,text,timestamp,like_count,username,from,"
        f"media{{id,permalink,username}}}}"]


def test_a_caption_mention_is_the_authors_post_and_fields_meta_refuses_are_asked_again_without(
        graph: tuple[HttpSink, GraphMentions]) -> None:
    sink, api = graph
    api.refused_fields = {"username", "permalink"}
    connector = instagram(sink.url)
    body = connector.look_up(Lookup("mentioned_media", {"media_id": CAPTION}), now=NOW)
    (post,) = connector.parse(body).posts
    assert (post.post["kind"], post.post["id"]) == ("post", CAPTION)
    assert post.post["text"] == "Unser neues E-Bike von @voltaro 🚲"
    assert post.post["metrics"] == {"likes": 120, "replies": 9}
    assert "author" not in post.post  # the basic fields carry no username
    assert len(fields_asked(sink)) == 2


def test_a_mention_that_is_gone_is_a_permanent_refusal(graph: tuple[HttpSink, GraphMentions]) -> None:
    sink, _ = graph
    with pytest.raises(PlatformError) as refused:
        instagram(sink.url).look_up(Lookup("mentioned_comment", {"comment_id": GONE,
                                                                 "media_id": "17900000000000111"}), now=NOW)
    assert refused.value.permanent and "Comments are disabled" in str(refused.value)


def test_our_answer_to_a_mention_goes_through_the_accounts_mentions_edge(
        graph: tuple[HttpSink, GraphMentions]) -> None:
    sink, api = graph
    connector = instagram(sink.url)
    thread = f"instagram:{IG_ID}:mention:{MEDIA}"
    sent = connector.send(Outbound(Action.REPLY_PUBLIC, "m1", target=COMMENT, thread=thread,
                                   text="Das tut uns leid, Lena. Wir melden uns heute per DM."))
    (request,) = sink.requests
    assert (request.method, request.path) == ("POST", f"/v25.0/{IG_ID}/mentions")
    assert request.json() == {"media_id": MEDIA, "comment_id": COMMENT,
                              "message": "Das tut uns leid, Lena. Wir melden uns heute per DM."}
    assert sent.external_id == api.replies[0].id
    connector.send(Outbound(Action.REPLY_PUBLIC, "m2", target=CAPTION, text="Viel Spaß damit!",
                            thread=f"instagram:{IG_ID}:mention:{CAPTION}"))
    assert sink.requests[-1].json() == {"media_id": CAPTION, "message": "Viel Spaß damit!"}
    for action in (Action.HIDE, Action.DELETE, Action.REPLY_PRIVATE):
        with pytest.raises(PlatformError, match="another account's media") as refused:
            connector.send(Outbound(action, f"x-{action}", target=COMMENT, thread=thread, text="Hallo"))
        assert refused.value.permanent
    assert len(sink.requests) == 2  # the refusals sent nothing


CONFIG = """
channels:
  - key: ig
    platform: instagram
    account_id: "{account}"
    api_base: {base}
    access_token: {token}
    app_secret: {secret}
    verify_token: {verify}
"""


@pytest.fixture
def runtime(graph: tuple[HttpSink, GraphMentions], workspace_file: Path) -> Iterator[Runtime]:
    sink, _ = graph
    workspace_file.write_text(CONFIG.format(account=IG_ID, base=sink.url, token=TOKEN, secret=APP_SECRET,
                                            verify=VERIFY_TOKEN), encoding="utf-8")
    r = build_runtime(load_workspace(workspace_file, Settings()), Settings(), clock=SystemClock())
    yield r
    r.close()


def process(r: Runtime) -> tuple[int, int]:
    """One round as the delivery thread runs it: process, then fetch what is due."""
    report = process_pending(r.engine, r.connectors(), r.runner.handle, clock=SystemClock())
    assert report.failed == 0
    return report.lookups, run_due(r.engine, r.connectors(), now=datetime.now(UTC))


def lookups(r: Runtime) -> list[tuple[str, int, str | None]]:
    with Session(r.engine) as session:
        return [(lk.status, lk.attempts, lk.error) for lk in session.scalars(select(ChannelLookup).order_by(
            ChannelLookup.id))]


def test_a_mention_webhook_ends_as_a_conversation_and_twice_delivered_is_fetched_once(
        graph: tuple[HttpSink, GraphMentions], runtime: Runtime) -> None:
    sink, _ = graph
    store_delivery(runtime.engine, channel="ig", now=NOW, body=webhook(mention_change(MEDIA, COMMENT)))
    # Meta retries a delivery it thinks was lost: other bytes (another time), the same mention
    store_delivery(runtime.engine, channel="ig", now=NOW, body=meta_body("instagram", [{
        "id": IG_ID, "time": int(NOW.timestamp()) + 5, "changes": [mention_change(MEDIA, COMMENT)]}]))
    assert process(runtime) == (2, 1)
    assert len(sink.requests) == 1 and lookups(runtime) == [(LookupStatus.DONE, 1, None)]
    assert process(runtime) == (0, 0)  # the stored answer becomes the post
    with Session(runtime.engine) as session:
        post = session.scalars(select(Post).where(Post.external_id == COMMENT)).one()
        assert post.text.startswith("@voltaro mein Akku") and post.visibility == "public"
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.thread == f"instagram:{IG_ID}:mention:{MEDIA}"
        counts = [d.counts for d in session.scalars(select(ChannelDelivery).order_by(ChannelDelivery.id))]
    assert counts[0] is not None and counts[0]["lookups"] == 1
    assert counts[2] is not None and counts[2]["posts"] == 1


def test_a_gone_mention_is_kept_with_metas_reason_and_a_rate_limit_is_waited_out(
        graph: tuple[HttpSink, GraphMentions], runtime: Runtime) -> None:
    _, api = graph
    api.fail_next(graph_error(4, "(#4) Application request limit reached"))
    store_delivery(runtime.engine, channel="ig", now=NOW, body=webhook(
        mention_change("17900000000000111", GONE), mention_change(CAPTION)))
    assert process(runtime) == (2, 1)  # the first call was throttled, the second answered
    throttled, answered = lookups(runtime)
    assert throttled[:2] == (LookupStatus.PENDING, 1) and "request limit" in str(throttled[2])
    assert answered == (LookupStatus.DONE, 1, None)
    # the throttled one waits (nothing due now); once its pause has passed Meta says it is gone
    assert run_due(runtime.engine, runtime.connectors(), now=datetime.now(UTC)) == 0
    assert run_due(runtime.engine, runtime.connectors(), now=datetime.now(UTC) + timedelta(minutes=61)) == 0
    gone = lookups(runtime)[0]
    assert gone[:2] == (LookupStatus.FAILED, 2) and "Comments are disabled" in str(gone[2])
    with Session(runtime.engine) as session:
        (unparsed,) = session.scalars(select(UnparsedItem)).all()
        assert "could not be fetched" in unparsed.what and "Comments are disabled" in unparsed.what
    assert process(runtime) == (0, 0)
    with Session(runtime.engine) as session:
        assert session.scalars(select(Post.external_id)).all() == [CAPTION]


def test_a_lookup_that_keeps_failing_is_given_up_after_the_last_attempt(
        graph: tuple[HttpSink, GraphMentions], runtime: Runtime) -> None:
    _, api = graph
    api.fail_next(*[graph_error(2, "Service temporarily unavailable", status=500)] * MOST_ATTEMPTS)
    store_delivery(runtime.engine, channel="ig", now=NOW, body=webhook(mention_change(MEDIA, COMMENT)))
    process(runtime)
    at = datetime.now(UTC)
    for _ in range(MOST_ATTEMPTS - 1):
        at += timedelta(hours=5)
        run_due(runtime.engine, runtime.connectors(), now=at)
    assert lookups(runtime) == [(LookupStatus.FAILED, MOST_ATTEMPTS, lookups(runtime)[0][2])]
    with Session(runtime.engine) as session:
        (unparsed,) = session.scalars(select(UnparsedItem)).all()
    assert "Service temporarily unavailable" in unparsed.what
    assert unparsed.raw["attempts"] == MOST_ATTEMPTS and unparsed.raw["ids"] == {"comment_id": COMMENT,
                                                                                   "media_id": MEDIA}
