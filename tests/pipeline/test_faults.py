"""Faults from the sandbox: flaky CRMs, expired sessions, duplicate webhooks, humans racing us."""

from __future__ import annotations

from collections import Counter

from connector.pipeline.models import InboxEvent, LeadStatus
from tests.pipeline.test_end_to_end import owner_in_crm

FINAL = {LeadStatus.WRITTEN.value, LeadStatus.TAKEN_BY_HUMAN.value, LeadStatus.DEAD.value}


def route_until_settled(routed, rounds: int = 30) -> None:
    """Drain, then jump the pipeline's clock past any backoff, until the inbox is empty."""
    for _ in range(rounds):
        routed.drain()
        if routed.count(InboxEvent, InboxEvent.status != "done") == 0:
            return
        routed.clock.advance(hours=1)
    raise AssertionError("leads still pending after every retry")


def test_flaky_crms_with_5xx_and_429_bursts_still_assign_every_lead(routed):
    hubspot_ids = routed.create_leads("hubspot", 10)
    salesforce_ids = routed.create_leads("salesforce", 10)
    routed.wait_for_inbox(20)
    faults = routed.crm.sandbox.faults
    faults.add_error(503, rate=0.3, vendor="hubspot")
    faults.add_error(503, rate=0.3, vendor="salesforce")
    faults.add_burst(3, retry_after=1, vendor="hubspot")
    route_until_settled(routed)
    faults.clear()
    statuses = Counter(a.status for a in routed.assignments())
    assert statuses == {"written": 20}, statuses
    for vendor, ids in (("hubspot", hubspot_ids), ("salesforce", salesforce_ids)):
        by_lead = {a.lead_id: a for a in routed.assignments() if a.connection == vendor}
        for lead_id in ids:
            assert owner_in_crm(routed, vendor, lead_id) == by_lead[lead_id].owner_crm_id
    hits = routed.control.stats()
    assert hits  # the sandbox saw the traffic it faulted


def test_an_expired_salesforce_session_logs_in_again(routed):
    routed.create_leads("salesforce", 2)
    routed.wait_for_inbox(2)
    assert routed.drain().written == 2
    routed.control.salesforce.expire_sessions()
    routed.create_leads("salesforce", 2)
    routed.wait_for_inbox(4)
    assert routed.drain().written == 2


def test_duplicated_and_reordered_webhooks_assign_each_lead_once(routed):
    routed.control.hubspot.configure_webhooks(duplicate_rate=1.0, reorder=True)
    routed.crm.sandbox.deliveries.configure(duplicate_rate=1.0)
    ids = routed.create_leads("hubspot", 5)
    routed.crm.sandbox.vendor("hubspot").webhooks.flush()
    assert routed.crm.sandbox.deliveries.wait_idle(15)
    routed.crm.sandbox.deliveries.configure(duplicate_rate=0.0)
    assert routed.drain().written == 5
    assignments = routed.assignments()
    assert sorted(a.lead_id for a in assignments) == sorted(ids)
    assert routed.drain().claimed == 0


def test_a_human_who_took_the_lead_first_is_never_overwritten(routed):
    (hubspot_id,) = routed.create_leads("hubspot", 1)
    (salesforce_id,) = routed.create_leads("salesforce", 1)
    routed.wait_for_inbox(2)
    connections = routed.app.extensions["leadrouter.connections"]
    human_hs = [u for u in connections.adapter("hubspot").read_roster() if u.active][-1].id
    routed.control.hubspot.reassign(contact_id=hubspot_id, owner_id=human_hs)
    human_sf = [u for u in connections.adapter("salesforce").read_roster() if u.active][-1].id
    # The Salesforce human acts after our first API call of the batch: between read and write.
    routed.control.salesforce.reassign(salesforce_id, human_sf, after_calls=1)
    report = routed.drain()
    assert report.taken_by_human == 2 and report.written == 0
    assert owner_in_crm(routed, "hubspot", hubspot_id) == str(human_hs)
    assert owner_in_crm(routed, "salesforce", salesforce_id) == human_sf
    assert {a.status for a in routed.assignments()} == {"taken_by_human"}


def test_a_lead_whose_writes_keep_failing_goes_dead_and_a_retry_routes_it(routed):
    from connector.pipeline import leads

    routed.app.extensions["leadrouter.runtime"].pipeline.max_attempts = 3
    (lead_id,) = routed.create_leads("hubspot", 1)
    routed.wait_for_inbox(1)
    down = routed.crm.sandbox.faults.add_error(503, vendor="hubspot", method="POST",
                                               path="/crm/v3/objects/contacts/batch/update")
    for _ in range(4):
        routed.drain()
        routed.clock.advance(hours=1)
    (dead,) = routed.assignments()
    assert dead.status == "dead" and dead.attempts == 3
    assert dead.last_error  # the CRM's error, shown in the dead-letter list
    assert routed.drain().claimed == 0  # dead letters wait for a person
    routed.crm.sandbox.faults.remove(down.id)
    leads.retry(routed.app.extensions["leadrouter.db"], dead.id, actor="ops@example.com")
    assert routed.drain().written == 1
    (again,) = routed.assignments()
    assert again.id == dead.id and again.status == "written"
    assert owner_in_crm(routed, "hubspot", lead_id) == again.owner_crm_id


def test_load_stays_true_when_a_human_takes_one_lead_while_we_assign_another(routed):
    import yaml

    from connector.platform.db import get_db
    from connector.routing.models import RepState
    from connector.routing.store import save_version

    connections = routed.app.extensions["leadrouter.connections"]
    ana, human = [u for u in connections.adapter("hubspot").read_roster()
                  if u.active and u.email != "admin@sandbox.example"][:2]
    save_version(get_db(routed.app), yaml.safe_dump({
        "version": 1, "reps": [{"id": "ana", "email": ana.email, "crm": {"hubspot": ana.id}}],
        "rules": [{"name": "all", "to": "rep:ana"}]}), actor="test")
    first, second = routed.create_leads("hubspot", 2)
    routed.wait_for_inbox(2)
    down = routed.crm.sandbox.faults.add_error(503, vendor="hubspot", method="POST",
                                               path="/crm/v3/objects/contacts/batch/update")
    assert routed.drain().retrying == 2  # both decided for ana, her load counts them
    routed.crm.sandbox.faults.remove(down.id)
    routed.control.hubspot.reassign(contact_id=first, owner_id=human.id)
    (third,) = routed.create_leads("hubspot", 1)
    routed.wait_for_inbox(3)
    routed.clock.advance(hours=1)
    report = routed.drain()
    assert (report.taken_by_human, report.written) == (1, 2)
    with get_db(routed.app).session() as session:
        assert session.get(RepState, "ana").open_load == 2  # second and third, not the one a human took
