"""The outbox over the sandbox's Slack: what the rep and the channel receive, speed to lead,
retries when Slack is down or rate limits, and an assignment that never changes because of it."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from connector.pipeline.models import Assignment, AssignmentEvent
from connector.notify.models import Notification
from tests.notify.conftest import MAYA


def _rows(kit, **where):
    with kit.db.session() as session:
        query = select(Notification).order_by(Notification.id)
        for key, value in where.items():
            query = query.where(getattr(Notification, key) == value)
        return list(session.scalars(query))


def _assignment(kit, assignment_id):
    with kit.db.session() as session:
        return session.get(Assignment, assignment_id)


def test_the_rep_gets_a_dm_with_the_lead_why_a_crm_link_and_accept_pass_buttons(kit):
    assignment_id = kit.written("maya")
    report = kit.deliver()
    assert (report.sent, report.failed, report.retrying) == (2, 1, 0)  # DM + channel; email not configured
    dm = next(m for m in kit.messages() if m["channel"].startswith("D"))
    assert kit.sandbox.vendor("slack").workspace.channels[dm["channel"]].user == kit.slack_user("maya")
    text = json.dumps(dm["message"]["blocks"], ensure_ascii=False)
    for expected in ("Zoë Novak", "Novak Robotics", "DE", "87", "inbound", "round_robin: maya is next after sofia",
                     f"{kit.url}/00Q5g00000ZOEAAA", "First touch due by 2026-11-23 09:15 UTC"):
        assert expected in text, expected
    actions = dm["message"]["blocks"][-1]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("lead_accept", str(assignment_id)), ("lead_pass", str(assignment_id)),
        *[(f"lead_not_a_fit_{reason}", str(assignment_id))
          for reason in ("spam", "wrong_territory", "wrong_product", "duplicate", "other")]]
    assert [e["text"]["text"] for e in actions["elements"]][2:4] == ["Not a fit · spam", "Not a fit · wrong territory"]
    assert dm["message"]["text"] == "New lead for you: Zoë Novak (Novak Robotics)"


def test_the_team_channel_gets_the_lead_without_buttons(kit):
    kit.written("maya")
    kit.deliver()
    [post] = [m for m in kit.messages() if m["channel"] == "C0LEADS01"]
    assert post["message"]["text"] == "New lead: Zoë Novak (Novak Robotics), assigned to Maya Patel"
    assert all(block["type"] != "actions" for block in post["message"]["blocks"])


def test_notified_at_and_the_speed_to_lead_are_recorded_once(kit_db):
    kit = kit_db
    assignment_id = kit.written("maya")
    kit.advance(0.5)
    kit.deliver()
    kit.advance(5)
    kit.deliver()
    assignment = _assignment(kit, assignment_id)
    assert assignment.notified_at == assignment.written_at + timedelta(seconds=30)
    assert assignment.status == "notified"
    with kit.db.session() as session:
        events = list(session.scalars(select(AssignmentEvent).where(AssignmentEvent.status == "notified")))
    assert [(e.assignment_id, e.detail["speed_to_lead_s"], e.detail["channel"]) for e in events] == [
        (assignment_id, 30.0, "slack")]


def test_slack_down_means_retried_later_and_the_assignment_untouched(kit_db):
    kit = kit_db
    kit.sandbox.faults.add_error(503, vendor="slack")
    assignment_id = kit.written("maya")
    before = _assignment(kit, assignment_id)
    report = kit.deliver()
    assert report.sent == 0 and report.retrying == 2  # DM + channel (email is not configured here)
    dm = _rows(kit, channel="slack")[0]
    assert dm.status == "pending" and dm.attempts == 1 and "fatal_error" in dm.last_error
    assert dm.next_attempt_at >= kit.now() + timedelta(seconds=15)
    after = _assignment(kit, assignment_id)
    assert (after.rep_id, after.owner_crm_id, after.status, after.notified_at) == (
        before.rep_id, before.owner_crm_id, "written", None)
    kit.sandbox.faults.clear()
    kit.advance(1)
    assert kit.deliver().sent == 2
    assert _assignment(kit, assignment_id).notified_at == kit.now()
    assert len([m for m in kit.messages() if m["channel"].startswith("D")]) == 1


def test_a_long_retry_after_is_honoured_by_the_outbox(kit):
    kit.sandbox.faults.add_burst(count=5, retry_after=120, vendor="slack", path="/api/chat.postMessage")
    kit.written("maya", rule="quiet")  # no notify: the default, a DM to the rep
    report = kit.deliver()
    assert report.retrying == 1 and report.sent == 0
    [row] = _rows(kit)
    assert row.target == MAYA and "rate limit" in row.last_error
    assert row.next_attempt_at >= kit.now() + timedelta(seconds=120)
    assert kit.messages() == []


def test_a_short_retry_after_is_waited_out_inside_the_call(kit):
    kit.sandbox.faults.add_burst(count=1, retry_after=1, vendor="slack", path="/api/chat.postMessage")
    kit.written("maya", rule="quiet")
    assert kit.deliver().sent == 1


def test_a_rep_unknown_to_slack_fails_for_good_with_the_reason(kit):
    kit.written("ghost", rule="quiet")
    report = kit.deliver()
    assert report.failed == 1
    [row] = _rows(kit)
    assert (row.status, row.last_error) == ("failed", "Slack users.lookupByEmail: users_not_found")


def test_queueing_twice_for_one_assignment_sends_once(kit):
    from connector.notify.outbox import enqueue_assignment_notifications

    assignment_id = kit.written("maya")
    config = kit.config()
    with kit.app.app_context(), kit.db.session() as session:
        again = enqueue_assignment_notifications(session, session.get(Assignment, assignment_id), config, kit.now())
    assert len(again) == 3 and len(_rows(kit)) == 3


def test_the_rule_sla_sets_the_due_time_and_a_rule_without_one_does_not(kit):
    with_sla = _assignment(kit, kit.written("maya"))
    without = _assignment(kit, kit.written("liam", lead_id="00Q5g00000OTHER", rule="quiet"))
    assert with_sla.sla_due_at == with_sla.written_at + timedelta(minutes=15)
    assert without.sla_due_at is None


def test_lead_fields_cannot_inject_slack_markup(kit):
    kit.written("maya", rule="quiet", summary={"name": "<!channel> Eve", "company": "A&B <https://evil.example|x>"})
    kit.deliver()
    [dm] = kit.messages()
    assert dm["message"]["text"] == "New lead for you: &lt;!channel&gt; Eve (A&amp;B &lt;https://evil.example|x&gt;)"
    assert "<!channel>" not in json.dumps(dm["message"]["blocks"])


def test_an_empty_notify_list_tells_nobody(kit):
    kit.written("maya", rule="silent")
    assert _rows(kit) == [] and kit.deliver().sent == 0


def test_after_the_last_attempt_a_row_is_failed_with_its_error_and_the_lead_keeps_its_owner(kit):
    from connector.notify.outbox import deliver_due

    kit.sandbox.faults.add_error(503, vendor="slack")
    assignment_id = kit.written("maya", rule="quiet")
    for _ in range(3):
        deliver_due(kit.db, kit.runtime.notifiers, kit.now(), max_attempts=3)
        kit.advance(60)
    [row] = _rows(kit)
    assert (row.status, row.attempts) == ("failed", 3) and "fatal_error" in row.last_error
    assignment = _assignment(kit, assignment_id)
    assert (assignment.rep_id, assignment.status, assignment.notified_at) == ("maya", "written", None)
