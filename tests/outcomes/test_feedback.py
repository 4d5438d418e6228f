"""Rep feedback: "Not a fit" with a reason, from the Slack message and from the email link; stored,
counted, and for a wrong territory or product the lead goes on like a pass."""

from __future__ import annotations

from sqlalchemy import select

from connector.notify.actions import accept_token
from connector.outcomes.models import LeadFeedback
from connector.pipeline.models import Assignment, AssignmentEvent, InboxEvent


def _dm(kit) -> dict:
    return next(m for m in kit.messages() if m["channel"].startswith("D"))


def _feedback(kit) -> list[tuple]:
    with kit.db.session() as session:
        return [(f.reason, f.via, f.rep_id, f.rerouted) for f in session.scalars(select(LeadFeedback))]


def test_not_a_fit_wrong_territory_in_slack_reroutes_like_a_pass(served):
    kit = served
    assignment_id = kit.written("maya")
    kit.deliver()
    result = kit.control.slack.click(_dm(kit)["ts"], "lead_not_a_fit_wrong_territory", "maya")
    assert result["status"] == 200
    assert _feedback(kit) == [("wrong_territory", "slack", "maya", True)]
    with kit.db.session() as session:
        row = session.scalars(select(InboxEvent).where(InboxEvent.lead_id == "00Q5g00000ZOEAAA")).one()
        assert (row.status, row.source, row.payload["exclude"]) == ("pending", "reroute", ["maya"])
        events = [e.status for e in session.scalars(select(AssignmentEvent).where(
            AssignmentEvent.assignment_id == assignment_id).order_by(AssignmentEvent.id))]
        assert events == ["notified", "not_a_fit", "passed"]
    message = _dm(kit)["message"]
    assert "Not a fit (wrong territory), said Maya Patel: routing to the next eligible rep" in message["text"]
    assert all(block["type"] != "actions" for block in message["blocks"])


def test_not_a_fit_spam_keeps_the_lead_and_stops_the_reminders(served):
    kit = served
    assignment_id = kit.written("maya")
    kit.deliver()
    assert kit.control.slack.click(_dm(kit)["ts"], "lead_not_a_fit_spam", "maya")["status"] == 200
    assert _feedback(kit) == [("spam", "slack", "maya", False)]
    with kit.db.session() as session:
        assignment = session.get(Assignment, assignment_id)
        assert (assignment.rep_id, assignment.sla_due_at) == ("maya", None)
        assert session.scalars(select(InboxEvent)).one().status == "done"   # not routed again
    assert "Not a fit (spam), said Maya Patel: noted, no more reminders" in _dm(kit)["message"]["text"]


def test_someone_elses_click_stores_nothing(served):
    kit = served
    kit.written("maya")
    kit.deliver()
    kit.control.slack.click(_dm(kit)["ts"], "lead_not_a_fit_wrong_product", "liam")
    assert _feedback(kit) == []


def test_the_email_link_offers_not_a_fit_with_a_reason(kit):
    assignment_id = kit.written("maya")
    path = f"/notify/accept/{accept_token(kit.app.secret_key, assignment_id, 'maya')}"
    client = kit.app.test_client()
    page = client.get(path).get_data(as_text=True)
    assert 'name="not_a_fit"' in page and '<option value="wrong_product">wrong product</option>' in page
    refused = client.post(path, data={"not_a_fit": "boring"})
    assert refused.status_code == 400 and _feedback(kit) == []
    answer = client.post(path, data={"not_a_fit": "wrong_product"})
    assert answer.status_code == 200 and b"routing to the next eligible rep" in answer.data
    assert _feedback(kit) == [("wrong_product", "email", "maya", True)]
    assert client.post(path, data={"not_a_fit": "spam"}).status_code == 410   # no longer theirs
