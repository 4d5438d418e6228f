"""The HubSpot adapter against the sandbox, through the real hubspot-api-client."""
from __future__ import annotations

import json

import pytest

from adapters import AssignmentRequest, AssignOutcome, AuthError, HubSpotAdapter, RateLimited, build_adapter
from adapters.cursor import SinceCursor


def make_contacts(sandbox, count: int, tag: str = "lead", **extra) -> list[str]:
    vendor = sandbox.vendor("hubspot")
    return [vendor.create_lead({"email": f"{tag}{i}@example{i % 7}.com", "first_name": f"L{i}",
                                "last_name": "Test", "country": "Germany", "employees": 40 + i,
                                "source": "Web", **extra})["id"] for i in range(count)]


def hubspot_calls(control, path_part: str = "") -> list[dict]:
    return [r for r in control.requests("hubspot") if path_part in r["path"]]


def test_find_unassigned_pages_to_the_end_oldest_first_and_the_cursor_moves_on(make_hubspot, sandbox):
    ids = make_contacts(sandbox, 45)
    owned = sandbox.vendor("hubspot").create_lead({"email": "owned@x.com", "owner": "maya"})["id"]
    adapter = make_hubspot(page_size=20)
    seen, cursor, pages = [], None, 0
    while True:
        page = adapter.find_unassigned(cursor)
        seen += [r.id for r in page.leads]
        cursor, pages = page.cursor, pages + 1
        if not page.has_more:
            break
    assert seen == ids and owned not in seen
    assert pages == 3
    assert adapter.find_unassigned(cursor).leads == []          # nothing new: nothing again
    later = make_contacts(sandbox, 1, email="later@example.com")
    assert [r.id for r in adapter.find_unassigned(cursor).leads] == later


def test_the_cursor_survives_the_ten_thousand_result_search_cap(make_hubspot, sandbox, control):
    # Shrink the cap (a sandbox setting) so the test need not create 10,000 contacts.
    control.post("hubspot/limits", max_results=30)
    ids = make_contacts(sandbox, 75)
    adapter = make_hubspot(page_size=1000)
    seen, cursor = [], None
    for _ in range(10):
        page = adapter.find_unassigned(cursor)
        seen += [r.id for r in page.leads]
        cursor = page.cursor
        if not page.has_more:
            break
    assert seen == ids


def test_find_unassigned_maps_properties_to_the_canonical_lead_and_keeps_raw(make_hubspot, sandbox):
    make_contacts(sandbox, 1, properties={"hubspotscore": "77"})
    record = make_hubspot().find_unassigned().leads[0]
    lead = record.lead
    assert (lead.email, lead.first_name, lead.country, lead.employees) == \
        ("lead0@example0.com", "L0", "DE", 40)
    assert lead.source == "ORGANIC_SEARCH" and lead.score == 77.0
    assert lead.raw["numberofemployees"] == "40" and lead.domain == "example0.com"
    assert record.owner_id is None and not record.has_real_owner


def test_field_overrides_map_custom_properties(make_hubspot, sandbox):
    make_contacts(sandbox, 1, city="Berlin")
    lead = make_hubspot(field_overrides={"product": "city", "source": None}).find_unassigned().leads[0].lead
    assert lead.product == "Berlin" and lead.source is None
    with pytest.raises(ValueError):
        make_hubspot(field_overrides={"not_a_field": "city"})
    with pytest.raises(ValueError):
        make_hubspot(field_overrides={"product": "city\"}]"})


def test_read_leads_batches_by_100_and_reports_the_current_owner(make_hubspot, sandbox, control, hubspot_owner):
    ids = make_contacts(sandbox, 150)
    control.post("hubspot/reassign", contact_id=ids[3], owner="liam")
    adapter = make_hubspot()
    records = adapter.read_leads(ids + ["999999"])
    assert [r.id for r in records] == ids
    assert records[3].owner_id == hubspot_owner("liam") and records[3].has_real_owner
    assert len(hubspot_calls(control, "/batch/read")) == 2


def test_read_roster_lists_owners_and_marks_deactivated_ones_inactive(make_hubspot, sandbox):
    users = make_hubspot().read_roster()
    by_email = {u.email: u for u in users}
    maya = by_email[sandbox.demo_org.rep("maya").email]
    assert maya.active and maya.name == "Maya Patel" and maya.teams
    former = [u for u in users if not u.active]
    assert len(former) == len(sandbox.demo_org.former_reps) >= 1


def test_read_open_load_counts_per_owner(make_hubspot, sandbox, hubspot_owner):
    make_contacts(sandbox, 3, owner="maya")
    make_contacts(sandbox, 1, tag="other", owner="liam")
    maya, liam, noah = (hubspot_owner(k) for k in ("maya", "liam", "noah"))
    assert make_hubspot().read_open_load([maya, liam, noah]) == {maya: 3, liam: 1, noah: 0}


def test_list_accounts_and_duplicates_by_email(make_hubspot, sandbox, hubspot_owner):
    company = sandbox.demo_org.companies[0]
    make_contacts(sandbox, 2)
    adapter = make_hubspot()
    [account] = [a for a in adapter.list_accounts() if a.domain == company.domain]
    assert (account.name, account.owner_id) == (company.name, hubspot_owner(company.owner))
    dupes = adapter.find_duplicates(["LEAD1@example1.com", "new@x.com"])
    assert list(dupes) == ["lead1@example1.com"]


def test_assign_writes_owners_in_batches_of_100(make_hubspot, sandbox, control, hubspot_owner):
    ids = make_contacts(sandbox, 120)
    maya = hubspot_owner("maya")
    results = make_hubspot().assign([AssignmentRequest(i, maya, expected_owner_id=None) for i in ids])
    assert {r.outcome for r in results} == {AssignOutcome.WRITTEN}
    assert len(hubspot_calls(control, "/batch/update")) == 2
    assert sandbox.vendor("hubspot").get_record("contacts", ids[-1])["properties"]["hubspot_owner_id"] == maya


def test_a_human_reassignment_between_read_and_write_is_not_overwritten(make_hubspot, sandbox, control, hubspot_owner):
    ids = make_contacts(sandbox, 3)
    adapter = make_hubspot()
    records = adapter.read_leads(ids)
    control.post("hubspot/reassign", contact_id=ids[1], owner="liam")   # a human, meanwhile
    maya, liam = hubspot_owner("maya"), hubspot_owner("liam")
    results = adapter.assign([AssignmentRequest(r.id, maya, expected_owner_id=r.owner_id)
                              for r in records])
    assert [r.outcome for r in results] == [AssignOutcome.WRITTEN, AssignOutcome.OWNER_CHANGED,
                                            AssignOutcome.WRITTEN]
    assert results[1].current_owner_id == liam
    assert sandbox.vendor("hubspot").get_record("contacts", ids[1])["properties"]["hubspot_owner_id"] == liam


def test_partial_batch_failure_reports_each_lead(make_hubspot, sandbox, hubspot_owner):
    ids = make_contacts(sandbox, 3)
    maya = hubspot_owner("maya")
    former = sandbox.vendor("hubspot").owners.by_key(sandbox.demo_org.former_reps[0].key).id
    results = make_hubspot(recheck_before_write=False).assign([
        AssignmentRequest(ids[0], maya), AssignmentRequest(ids[1], former),
        AssignmentRequest("424242", maya), AssignmentRequest(ids[2], maya)])
    assert [r.outcome for r in results] == [AssignOutcome.WRITTEN, AssignOutcome.INVALID_OWNER,
                                            AssignOutcome.NOT_FOUND, AssignOutcome.WRITTEN]
    props = sandbox.vendor("hubspot").get_record("contacts", ids[1])["properties"]
    assert props.get("hubspot_owner_id") in (None, "")


def test_a_429_waits_the_retry_after_and_succeeds(make_hubspot, sandbox, sleeps):
    ids = make_contacts(sandbox, 2)
    sandbox.faults.add_burst(1, retry_after=1, vendor="hubspot", path="*/batch/read")
    assert len(make_hubspot().read_leads(ids)) == 2
    assert 1.0 in sleeps


def test_a_wait_longer_than_max_wait_is_handed_to_the_caller(make_hubspot, sandbox, sleeps):
    ids = make_contacts(sandbox, 1)
    sandbox.faults.add_burst(1, retry_after=30, vendor="hubspot", path="*/batch/read")
    with pytest.raises(RateLimited) as caught:
        make_hubspot().read_leads(ids)
    assert caught.value.retry_after == 30 and sleeps == []


def test_5xx_on_a_post_is_retried_by_our_policy(make_hubspot, sandbox, control, hubspot_owner):
    ids = make_contacts(sandbox, 1)
    sandbox.faults.add_error(503, count=2, vendor="hubspot", path="*/batch/update")
    maya = hubspot_owner("maya")
    [result] = make_hubspot().assign([AssignmentRequest(ids[0], maya)])
    assert result.outcome is AssignOutcome.WRITTEN
    assert [r["status"] for r in hubspot_calls(control, "/batch/update")] == [503, 503, 200]


def test_persistent_5xx_becomes_a_transient_outcome_not_an_exception(make_hubspot, sandbox, hubspot_owner):
    ids = make_contacts(sandbox, 1)
    sandbox.faults.add_error(503, vendor="hubspot", path="*/batch/update")
    [result] = make_hubspot().assign([AssignmentRequest(ids[0], hubspot_owner("maya"))])
    assert result.outcome is AssignOutcome.TRANSIENT


def test_a_wrong_token_is_an_auth_error_without_retries(hubspot_settings, sandbox, control):
    adapter = build_adapter("hubspot", hubspot_settings, {"token": "wrong"})
    with pytest.raises(AuthError):
        adapter.read_roster()
    assert len(control.requests("hubspot")) == 1


def test_the_client_side_limiter_keeps_under_the_ten_second_window(hubspot_settings, hubspot_secrets,
                                                                    sandbox, control):
    control.post("hubspot/limits", ten_second_max=10)
    ids = make_contacts(sandbox, 1)
    fake_now, waits = [0.0], []

    def sleep(seconds):
        waits.append(seconds)
        fake_now[0] += seconds
        sandbox.clock.advance(seconds)   # the sandbox's window rolls with the same time

    adapter = HubSpotAdapter(hubspot_settings, hubspot_secrets, sleep=sleep,
                             monotonic=lambda: fake_now[0])
    for _ in range(25):
        adapter.read_leads(ids)
    statuses = {r["status"] for r in hubspot_calls(control, "/batch/read")}
    assert statuses == {200}            # fed by X-HubSpot-RateLimit-*, it waited instead of a 429
    assert sum(waits) >= 10


def test_read_outcomes_reports_status_conversion_and_first_activity(make_hubspot, sandbox, control):
    from datetime import datetime, timedelta, timezone
    since = datetime.now(timezone.utc) - timedelta(seconds=5)
    ids = make_contacts(sandbox, 3)
    control.post("hubspot/activity", contact_id=ids[0], at="2030-01-02T03:04:05Z")
    with sandbox.lock:   # a rep disqualifies the third contact
        crm = sandbox.vendor("hubspot").crm
        crm.update("contacts", crm.store("contacts").records[ids[2]], {"hs_lead_status": "UNQUALIFIED"})
    outcomes = {o.lead_id: o for o in make_hubspot().read_outcomes({i: since for i in ids})}
    assert set(outcomes) == set(ids)   # by id: only the contacts asked about
    assert outcomes[ids[0]].first_activity_at.year == 2030
    assert outcomes[ids[1]].first_activity_at is None and not outcomes[ids[1]].converted
    assert outcomes[ids[2]].lost and outcomes[ids[2]].status == "UNQUALIFIED" and not outcomes[ids[0]].lost


def test_cursor_text_round_trips_and_rejects_garbage():
    cursor = SinceCursor(1700000000000, {"1": 1700000000000})
    assert SinceCursor.decode(cursor.encode()) == cursor
    assert json.loads(cursor.encode())["ts"] == 1700000000000
    with pytest.raises(ValueError):
        SinceCursor.decode("not json")


def test_the_leads_object_can_be_routed_instead_of_contacts(make_hubspot, sandbox, hubspot_owner):
    with sandbox.lock:   # HubSpot requires a lead's contact (association 578) on create
        crm = sandbox.vendor("hubspot").crm
        contact = crm.create("contacts", {"email": "a@acme.com"})
        record = crm.create("leads", {"hs_lead_name": "Big deal"}, associations=[
            {"to": {"id": contact.id}, "types": [{"associationTypeId": 578}]}])
    adapter = make_hubspot(object_type="leads")
    [found] = adapter.find_unassigned().leads
    assert found.id == record.id and found.lead.email == "a@acme.com"
    [result] = adapter.assign([AssignmentRequest(found.id, hubspot_owner("maya"), None)])
    assert result.outcome is AssignOutcome.WRITTEN
    assert sandbox.vendor("hubspot").get_record("leads", record.id)["properties"]["hubspot_owner_id"] \
        == hubspot_owner("maya")
