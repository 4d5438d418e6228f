"""The SLA ladder with a controllable clock: remind, re-route without everyone who had the lead,
escalate to the team; first touch stops the clock; K breaches in a row pause the rep."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from connector.pipeline.models import Assignment, AssignmentEvent, InboxEvent
from connector.platform.models import AuditLog
from connector.notify.models import Notification
from connector.routing.models import Rep
from connector.notify.sla import check_sla
from connector.routing.active import RoutingConfigs

LEAD = "00Q5g00000ZOEAAA"


def _check(kit):
    return check_sla(kit.db, RoutingConfigs(kit.db), kit.now(), settings=kit.app.config["LEADROUTER_SETTINGS"])


def _events(kit, assignment_id):
    with kit.db.session() as session:
        return [e.status for e in session.scalars(select(AssignmentEvent).where(
            AssignmentEvent.assignment_id == assignment_id).order_by(AssignmentEvent.id))]


def _queued(kit, kind):
    with kit.db.session() as session:
        return [(n.channel, n.target) for n in session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id))]


def test_a_breach_walks_the_ladder_remind_then_reroute_then_escalate(kit_db):
    kit = kit_db
    first = kit.written("maya")
    kit.deliver()
    kit.advance(14)
    assert _check(kit).breached == 0

    kit.advance(1)  # 09:15: the SLA runs out -> remind Maya (her channels only, with the buttons)
    report = _check(kit)
    assert (report.breached, report.reminded) == (1, 1)
    assert _queued(kit, "reminder") == [("slack", "maya.patel@demo.leadrouter.dev"),
                                        ("email", "maya.patel@demo.leadrouter.dev")]
    kit.deliver()
    reminder = [m for m in kit.messages() if m["message"]["text"].startswith("Reminder:")]
    assert len(reminder) == 1 and reminder[0]["channel"].startswith("D")
    assert reminder[0]["message"]["blocks"][-1]["type"] == "actions"

    kit.advance(14)
    assert _check(kit).rerouted == 0
    kit.advance(1)  # 09:30: re-route without Maya
    assert _check(kit).rerouted == 1
    with kit.db.session() as session:
        row = session.scalars(select(InboxEvent).where(InboxEvent.lead_id == LEAD)).one()
        assert (row.status, row.source) == ("pending", "reroute")
        assert row.payload == {"exclude": ["maya"], "reason": "SLA breach: no first touch within 15 minutes"}
        old = session.get(Assignment, first)
        assert (old.rep_id, old.sla_due_at, old.sla_step) == ("maya", None, 2)
    assert _events(kit, first) == ["notified", "sla_breached", "reminded", "rerouted"]
    kit.deliver()  # Maya's DMs lose their buttons and say why
    maya_dms = [m for m in kit.messages() if m["channel"].startswith("D")]
    assert len(maya_dms) == 2
    for dm in maya_dms:
        assert dm["message"]["text"].endswith("Re-routed: SLA breach: no first touch within 15 minutes.")
        assert all(block["type"] != "actions" for block in dm["message"]["blocks"])

    # The pipeline routes it to Liam and writes him as owner; his SLA starts now, at the next step.
    second = kit.written("liam", lead_id=LEAD)
    with kit.db.session() as session:
        new = session.get(Assignment, second)
        assert (new.sla_step, new.sla_due_at) == (2, kit.now() + timedelta(minutes=15))
    kit.deliver()
    kit.advance(15)  # 09:45: Liam did not touch it either -> escalate to the team channel and manager
    report = _check(kit)
    assert (report.escalated, report.rerouted, report.reminded) == (1, 0, 0)
    assert _queued(kit, "escalation") == [("slack", "#leads"), ("email", "boss@demo.leadrouter.dev")]
    kit.deliver()
    [alert] = [m for m in kit.messages() if m["message"]["text"].startswith("SLA breach")]
    assert alert["channel"] == "C0LEADS01"
    assert alert["message"]["text"] == "SLA breach: Zoë Novak (Novak Robotics) not touched by Liam O'Connor"
    with kit.db.session() as session:
        assert session.get(Assignment, second).sla_due_at is None  # the ladder is done
    kit.advance(120)
    assert _check(kit).escalated == 0


def test_a_first_touch_read_from_the_crm_stops_the_clock(kit):
    assignment_id = kit.written("maya")
    kit.advance(10)
    with kit.db.session() as session:
        session.get(Assignment, assignment_id).first_touch_at = kit.now()
    kit.advance(30)
    report = _check(kit)
    assert (report.breached, report.reminded) == (0, 0)
    assert _events(kit, assignment_id) == []


def test_a_rule_without_an_sla_is_never_chased(kit):
    kit.written("maya", rule="quiet")
    kit.advance(24 * 60)
    assert _check(kit).breached == 0


def test_k_breaches_in_a_row_pause_the_rep_and_tell_the_manager_and_slack_unpauses(served):
    kit = served
    kit.written("maya", lead_id="00Q5g00000AAAAAA")
    kit.written("maya", lead_id="00Q5g00000BBBBBB")
    kit.advance(15)
    report = _check(kit)
    assert report.breached == 2 and report.paused == ["maya"]
    with kit.db.session() as session:
        rep = session.get(Rep, "maya")
        assert rep.paused and rep.paused_reason == "auto-paused: 2 leads in a row breached their SLA"
    assert RoutingConfigs(kit.db).current().config.rep("maya").paused is True
    assert _queued(kit, "paused") == [("slack", "maya.patel@demo.leadrouter.dev"),
                                      ("email", "boss@demo.leadrouter.dev"), ("slack", "#leads")]
    kit.deliver()
    [dm] = [m for m in kit.messages() if "is paused" in m["message"]["blocks"][0]["text"]["text"]
            and m["channel"].startswith("D")]
    assert kit.control.slack.click(dm["ts"], "rep_unpause", "maya")["status"] == 200
    updated = next(m for m in kit.messages() if m["ts"] == dm["ts"])["message"]
    assert updated["text"] == "Maya Patel was un-paused at 2026-11-23 09:15 UTC and gets leads again."
    with kit.db.session() as session:
        assert session.get(Rep, "maya").paused is False
        actions = [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions[-2:] == ["rep.pause", "rep.unpause"]
    assert RoutingConfigs(kit.db).current().config.rep("maya").paused is False


def test_breaches_broken_by_a_met_sla_do_not_pause(kit):
    kit.written("maya", lead_id="00Q5g00000AAAAAA")
    kit.advance(15)
    _check(kit)
    met = kit.written("maya", lead_id="00Q5g00000BBBBBB")
    with kit.db.session() as session:
        session.get(Assignment, met).accepted_at = kit.now()
    kit.written("maya", lead_id="00Q5g00000CCCCCC")
    kit.advance(15)
    assert _check(kit).paused == []


def test_a_lead_rerouted_at_the_last_step_still_counts_its_next_breach(kit):
    from connector.routing import store as routing_store

    body = routing_store.get_version(kit.db).body.replace("ladder: [remind, reroute, escalate]", "ladder: [reroute]")
    assert routing_store.save_version(kit.db, body, actor="test") == 2
    first = kit.written("maya")
    kit.advance(15)
    assert _check(kit).rerouted == 1
    second = kit.written("liam", lead_id=LEAD)
    kit.advance(15)
    report = _check(kit)
    assert (report.breached, report.rerouted) == (1, 0)
    assert _events(kit, second) == ["sla_breached"]
    assert _events(kit, first) == ["sla_breached", "rerouted"]
    with kit.db.session() as session:
        assert session.get(Assignment, second).sla_due_at is None
