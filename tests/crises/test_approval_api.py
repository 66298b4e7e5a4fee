"""The spokesperson approval gate over the API, with the runtime's own sender and a loopback Graph
API: while a crisis is at or above its type's approval level, a non-spokesperson's public reply
never reaches the platform until a spokesperson approves it (as written or edited); a rejection
keeps it from the platform for good; the spokesperson's own reply and private replies go out at
once; the gate is asked again when the sender claims a reply (a severity raised in between holds
it); only the crisis's spokespersons decide (403), and only once (409). On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.notify.models import Delivery
from tests.accounts.fixtures import World
from tests.crises.approval_world import (
    comment,
    crisis,
    graph,
    item,
    open_crisis,
    send,
    set_severity,
    timeline,
    world,
)
from tests.fakes.http_sink import HttpSink
from tests.fakes.meta_send import GraphSend
from tests.modes import BY_HAND

__all__ = ["crisis", "graph", "world"]

EXCUSE = "Das liegt leider am Paketdienst, da können wir nichts machen."
FIXED = "Es tut uns leid, Frau Krause. Wir tauschen Ihren Akku aus und melden uns heute bis 18 Uhr."


def public_calls(sink: HttpSink) -> list[str]:
    """The texts of the public comment replies the Graph API received."""
    return [r.json()["message"] for r in sink.requests if r.method == "POST" and r.path.endswith("/comments")]


def reply(world: World, conversation: int, role: Role, text: str, **extra: object) -> dict[str, object]:
    r = world.client.post(f"/api/v1/conversations/{conversation}/messages", json={"text": text, **extra},
                          headers=world.bearer(role))
    assert r.status_code == 202, r.text
    body: dict[str, object] = r.json()
    return body


def test_a_held_reply_leaves_only_after_a_spokesperson_approves_it(
        world: World, graph: tuple[HttpSink, GraphSend], crisis: int) -> None:
    sink, api = graph
    world.runtime.deliver = True  # the approvers' notices are queued
    conversation = comment(world, api, "1", "Mein Akku ist explodiert!")

    held = reply(world, conversation, Role.AGENT, EXCUSE)
    assert (held["status"], held["crisis_id"], held["approval_state"]) == (
        "awaiting_approval", crisis, "pending")
    assert send(world) == [] and public_calls(sink) == []  # the sender never picks it

    queue = world.client.get("/api/v1/approvals", headers=world.bearer(Role.SPOKESPERSON)).json()
    assert [(q["id"], q["author"], q["crisis"]["id"], q["conversation"]["id"]) for q in queue] == [
        (held["outbox_id"], "agent@example.org", crisis, conversation)]
    assert "blame" in {f["code"] for f in queue[0]["findings"]}
    with Session(world.engine) as s:  # the spokesperson's person hears of it through its target
        keys = list(s.scalars(select(Delivery.key)))
    assert keys == [f"approval:{held['outbox_id']}:ops"]

    path = f"/api/v1/approvals/{held['outbox_id']}"
    # The crisis lead may approve replies in general, but this crisis's type names its spokespersons.
    assert world.client.post(f"{path}/approve", headers=world.bearer(Role.CRISIS_LEAD)).status_code == 403
    assert world.client.post(f"{path}/approve", headers=world.bearer(Role.AGENT)).status_code == 403
    assert public_calls(sink) == []

    approved = world.client.post(f"{path}/approve", json={"text": FIXED},
                                 headers=world.bearer(Role.SPOKESPERSON))
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approval_state"]) == ("queued", "approved")
    assert send(world) == ["sent"]
    assert public_calls(sink) == [FIXED]  # as edited, once

    again = world.client.post(f"{path}/approve", headers=world.bearer(Role.SPOKESPERSON))
    assert again.status_code == 409
    assert world.client.post(f"{path}/reject", json={"comment": "zu spät"},
                             headers=world.bearer(Role.SPOKESPERSON)).status_code == 409
    assert world.client.get("/api/v1/approvals", headers=world.bearer(Role.SPOKESPERSON)).json() == []
    assert timeline(world, crisis) == ["reply.submitted", "reply.approved"]
    with Session(world.engine) as s:
        audit = [(e.action, e.actor) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.target_type == "outbox", AuditEntry.target_id == str(held["outbox_id"]))
            .order_by(AuditEntry.id))]
    assert [a for a in audit if a[0].startswith("reply.")] == [
        ("reply.held", "agent@example.org"), ("reply.approved", "spokesperson@example.org")]


def test_a_rejected_reply_is_never_sent_and_its_author_sees_why(
        world: World, graph: tuple[HttpSink, GraphSend], crisis: int) -> None:
    sink, api = graph
    conversation = comment(world, api, "1", "Mein Akku brennt!")
    held = reply(world, conversation, Role.AGENT, EXCUSE)
    path = f"/api/v1/approvals/{held['outbox_id']}/reject"
    speaker = world.bearer(Role.SPOKESPERSON)
    assert world.client.post(path, json={"comment": ""}, headers=speaker).status_code == 422
    r = world.client.post(path, json={"comment": "Bitte ohne Ausrede und mit Entschuldigung."},
                          headers=world.bearer(Role.SPOKESPERSON))
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert world.client.post(path, json={"comment": "nochmal"},
                             headers=world.bearer(Role.SPOKESPERSON)).status_code == 409
    assert send(world) == [] and public_calls(sink) == []
    out = world.client.get(f"/api/v1/conversations/{conversation}", headers=world.bearer(Role.AGENT)).json()
    mine = [m for m in out["messages"] if m["direction"] == "out"]
    assert [(m["status"], m["approval_comment"], m["approved_by"]) for m in mine] == [
        ("rejected", "Bitte ohne Ausrede und mit Entschuldigung.", "spokesperson@example.org")]
    assert timeline(world, crisis) == ["reply.submitted", "reply.rejected"]


def test_the_spokesperson_speaks_directly_and_private_replies_are_not_held(
        world: World, graph: tuple[HttpSink, GraphSend], crisis: int) -> None:
    sink, api = graph
    conversation = comment(world, api, "1", "Mein Akku ist explodiert!")
    own = reply(world, conversation, Role.SPOKESPERSON, FIXED)
    private = reply(world, conversation, Role.AGENT, "Schreiben Sie uns bitte Ihre Bestellnummer.",
                    private=True)
    assert (own["status"], own["approval_state"]) == ("queued", None)
    assert (private["status"], private["private"]) == ("queued", True)
    assert sorted(send(world)) == ["sent", "sent"]
    assert public_calls(sink) == [FIXED]
    assert any(r.path.endswith("/messages") for r in sink.requests)  # the private reply left too
    assert timeline(world, crisis) == []


def test_below_the_approval_level_and_without_a_crisis_replies_leave_at_once(
        world: World, graph: tuple[HttpSink, GraphSend]) -> None:
    _, api = graph
    conversation = comment(world, api, "1", "Mein Akku ist explodiert!")
    assert reply(world, conversation, Role.AGENT, "Danke, wir kümmern uns.")["status"] == "queued"
    open_crisis(world, 2)  # product_defect asks for approval from level 3
    assert reply(world, conversation, Role.AGENT, "Wir melden uns.")["status"] == "queued"
    assert send(world) == ["sent", "sent"]
    # A crisis without a type asks for approval from level 3.
    untyped = open_crisis(world, 3, type_=None)
    assert reply(world, conversation, Role.AGENT, "Noch etwas.")["status"] == "awaiting_approval"
    # Its type names nobody: everyone with approve_replies speaks and approves.
    assert reply(world, conversation, Role.CRISIS_LEAD, "Die Leitung antwortet.")["status"] == "queued"
    assert timeline(world, untyped) == ["reply.submitted"]


@BY_HAND
def test_a_severity_raised_between_queueing_and_sending_holds_the_reply(
        world: World, graph: tuple[HttpSink, GraphSend]) -> None:
    sink, api = graph
    conversation = comment(world, api, "1", "Mein Akku ist explodiert!")
    crisis_id = open_crisis(world, 2)
    first = reply(world, conversation, Role.AGENT, "Wir prüfen das.")
    spoken = reply(world, conversation, Role.SPOKESPERSON, FIXED)
    assert first["status"] == spoken["status"] == "queued"
    set_severity(world, crisis_id, 3)  # before the sender claims them
    assert sorted(send(world)) == ["awaiting_approval", "sent"]
    assert public_calls(sink) == [FIXED]  # the spokesperson's left; the agent's is held
    held = item(world, int(str(first["outbox_id"])))
    assert (held.status, held.approval_state, held.crisis_id) == ("awaiting_approval", "pending", crisis_id)
    assert timeline(world, crisis_id) == ["reply.submitted"]
    assert send(world) == [] and public_calls(sink) == [FIXED]
    # Approved, it is not asked again, whatever the level.
    r = world.client.post(f"/api/v1/approvals/{first['outbox_id']}/approve",
                          headers=world.bearer(Role.SPOKESPERSON))
    assert r.status_code == 200
    set_severity(world, crisis_id, 4)
    assert send(world) == ["sent"]
    assert public_calls(sink) == [FIXED, "Wir prüfen das."]
