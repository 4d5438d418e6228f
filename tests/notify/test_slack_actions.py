"""POST /slack/actions: Slack's signature (forged or stale -> 401), Accept stops the SLA clock,
Pass re-routes to someone else; the rep's message is updated in place."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from connector.pipeline.models import Assignment, AssignmentEvent, InboxEvent
from connector.notify.sla import check_sla
from connector.routing.active import RoutingConfigs
from sandbox.slack import signed_headers


def _dm(kit) -> dict:
    return next(m for m in kit.messages() if m["channel"].startswith("D"))


def _body(action_id: str = "lead_accept", value: str = "1") -> str:
    return urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "U0SBX0001"},
                                             "container": {"channel_id": "D0SBX0001", "message_ts": "1.000001"},
                                             "actions": [{"action_id": action_id, "value": value}]})})


@pytest.mark.parametrize("secret, age_s", [("not-the-signing-secret", 0), ("sandbox-signing-secret", 301),
                                           ("sandbox-signing-secret", -301)])
def test_a_forged_or_stale_request_is_refused_with_401(kit, secret, age_s):
    body = _body()
    stamp = int(kit.now().timestamp()) - age_s
    answer = kit.app.test_client().post("/slack/actions", data=body, headers=signed_headers(secret, stamp, body))
    assert answer.status_code == 401


def test_a_request_without_a_signature_is_refused(kit):
    answer = kit.app.test_client().post("/slack/actions", data=_body(),
                                        content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 401


def test_a_signed_request_within_five_minutes_is_accepted(kit):
    body = _body(value="999")  # no such assignment: answered, nothing changes
    stamp = int(kit.now().timestamp()) - 299
    answer = kit.app.test_client().post("/slack/actions", data=body,
                                        headers=signed_headers("sandbox-signing-secret", stamp, body))
    assert answer.status_code == 200


def test_accept_in_slack_stops_the_sla_clock_and_says_so_in_the_message(served):
    kit = served
    assignment_id = kit.written("maya")
    kit.deliver()
    kit.advance(3)
    result = kit.control.slack.click(_dm(kit)["ts"], "lead_accept", "maya")
    assert result["status"] == 200
    with kit.db.session() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment.accepted_at == kit.now()
        assert assignment.rep_id == "maya"
    message = _dm(kit)["message"]
    assert "Accepted by Maya Patel at 2026-11-23 09:03 UTC" in message["text"]
    assert all(block["type"] != "actions" for block in message["blocks"])
    kit.advance(60)
    report = check_sla(kit.db, RoutingConfigs(kit.db), kit.now(), settings=kit.app.config["LEADROUTER_SETTINGS"])
    assert (report.breached, report.reminded, report.rerouted) == (0, 0, 0)


def test_pass_reroutes_the_lead_without_the_rep_who_passed(served):
    kit = served
    assignment_id = kit.written("maya")
    kit.deliver()
    ts = _dm(kit)["ts"]
    assert kit.control.slack.click(ts, "lead_pass", "maya")["status"] == 200
    with kit.db.session() as session:
        row = session.scalars(select(InboxEvent).where(InboxEvent.lead_id == "00Q5g00000ZOEAAA")).one()
        assert (row.status, row.source) == ("pending", "reroute")
        assert row.payload == {"exclude": ["maya"], "reason": "passed by Maya Patel in Slack"}
        events = [e.status for e in session.scalars(select(AssignmentEvent).where(
            AssignmentEvent.assignment_id == assignment_id).order_by(AssignmentEvent.id))]
        assert events == ["notified", "passed"]
        assert session.get(Assignment, assignment_id).sla_due_at is None
    assert "Passed by Maya Patel: routing to the next eligible rep" in _dm(kit)["message"]["text"]
    # A second click (a stale client still showing the buttons) changes nothing more.
    dm = _dm(kit)
    body = urlencode({"payload": json.dumps({
        "type": "block_actions", "user": {"id": kit.slack_user("maya")},
        "container": {"channel_id": dm["channel"], "message_ts": ts},
        "actions": [{"action_id": "lead_pass", "value": str(assignment_id)}]})})
    answer = kit.app.test_client().post("/slack/actions", data=body, headers=signed_headers(
        "sandbox-signing-secret", int(kit.now().timestamp()), body))
    assert answer.status_code == 200
    with kit.db.session() as session:
        assert len(list(session.scalars(select(AssignmentEvent).where(AssignmentEvent.status == "passed")))) == 1
    assert "no longer yours" in _dm(kit)["message"]["text"]


def test_a_click_on_a_message_we_did_not_send_to_the_rep_changes_nothing(served):
    kit = served
    assignment_id = kit.written("maya")
    kit.deliver()
    channel_post = next(m for m in kit.messages() if m["channel"] == "C0LEADS01")
    # The channel post has no buttons; forge one there, as another user would see it.
    kit.sandbox.vendor("slack").workspace.find_message("C0LEADS01", channel_post["ts"])["message"]["blocks"].append(
        _dm(kit)["message"]["blocks"][-1])
    kit.control.slack.click(channel_post["ts"], "lead_accept", "liam")
    with kit.db.session() as session:
        assert session.get(Assignment, assignment_id).accepted_at is None


def test_another_user_clicking_the_reps_dm_changes_nothing(served):
    kit = served
    assignment_id = kit.written("maya")
    kit.deliver()
    kit.control.slack.click(_dm(kit)["ts"], "lead_pass", "liam")
    with kit.db.session() as session:
        assert session.get(Assignment, assignment_id).sla_due_at is not None
        assert session.scalars(select(InboxEvent)).one().status == "done"
    assert _dm(kit)["message"]["blocks"][-1]["type"] == "actions"


@pytest.mark.parametrize("action_id, value", [("lead_accept", "not-a-number"), ("rep_unpause", "maya"),
                                              ("something_else", "1"), ("lead_accept", "²"), ("lead_pass", "9" * 30),
                                              ("lead_accept", "١٢"), ("lead_pass", "-1")])
def test_odd_but_signed_actions_are_answered_and_change_nothing(kit, action_id, value):
    body = _body(action_id, value)
    answer = kit.app.test_client().post("/slack/actions", data=body, headers=signed_headers(
        "sandbox-signing-secret", int(kit.now().timestamp()), body))
    assert answer.status_code == 200


def test_a_signed_request_that_is_not_a_slack_payload_is_a_400(kit):
    body = "payload=not-json"
    answer = kit.app.test_client().post("/slack/actions", data=body, headers=signed_headers(
        "sandbox-signing-secret", int(kit.now().timestamp()), body))
    assert answer.status_code == 400


# -- issue 18: the Slack door's header values and payload shapes ---------------------------------
def _signed(kit, body, **override):
    headers = signed_headers("sandbox-signing-secret", int(kit.now().timestamp()), body)
    headers.update(override)
    return kit.app.test_client().post("/slack/actions", data=body, headers=headers)


@pytest.mark.parametrize("header, value", [("X-Slack-Signature", "v0=" + "é" * 64),
                                           ("X-Slack-Signature", "v0=ß"),
                                           ("X-Slack-Request-Timestamp", "9" * 400),
                                           ("X-Slack-Request-Timestamp", "nan"),
                                           ("X-Slack-Request-Timestamp", "١٧٠٠٠٠٠٠٠٠")])
def test_odd_slack_header_values_are_a_401(kit, header, value):
    answer = _signed(kit, _body(), **{header: value})
    assert answer.status_code == 401 and answer.get_json() == {"error": "invalid signature"}


@pytest.mark.parametrize("body", [
    "payload=" + "%5B" * 50_000 + "%5D" * 50_000,
    urlencode({"payload": "[[true]]"}),
    urlencode({"payload": json.dumps({"type": "block_actions", "actions": [[1]]})}),
    urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}),
    urlencode({"payload": json.dumps({"type": "block_actions", "actions": [{"action_id": "lead_accept",
                                                                            "value": 5}]})}),
    urlencode({"payload": json.dumps({"type": {"x": 1}})}),
    "payload=%7B%7D&payload=%7B%7D",
    "no-equals-sign",
])
def test_odd_but_signed_slack_payloads_are_a_400(kit, body):
    answer = _signed(kit, body)
    assert answer.status_code == 400, answer.data
    assert "error" in answer.get_json()


def test_a_signed_slack_body_that_is_not_a_form_is_a_415(kit):
    body = _body()
    answer = _signed(kit, body, **{"Content-Type": "application/json"})
    assert answer.status_code == 415


def test_other_interaction_types_are_acknowledged(kit):
    answer = _signed(kit, urlencode({"payload": json.dumps({"type": "view_submission"})}))
    assert answer.status_code == 200


def test_lead_fields_cannot_add_mentions_or_links_to_the_slack_message(kit):
    """Slack parses &, < and > in mrkdwn and in the top-level text (the notification preview)."""
    summary = {"name": "<!channel> Eve & Co", "company": "<https://evil.example|click here>",
               "email": "<@U0SBX0001>", "country": "<!here>", "score": 1,
               "url": "https://crm.example/lead|<!everyone>"}
    kit.written("maya", summary=summary)
    kit.deliver()
    messages = kit.messages()
    assert messages
    for message in messages:
        sent = json.dumps(message["message"])
        for raw in ("<!channel>", "<!here>", "<!everyone>", "<https://evil.example", "<@U0SBX0001>"):
            assert raw not in sent, (raw, message["message"]["text"])
        assert "&lt;!channel&gt; Eve &amp; Co" in message["message"]["text"]


def test_a_slack_body_over_one_mib_is_a_413(kit):
    body = "payload=" + "x" * (1024 * 1024 + 1)
    answer = _signed(kit, body)
    assert answer.status_code == 413 and "larger than" in answer.get_json()["error"]
