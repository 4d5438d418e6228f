"""The Salesforce adapter against the sandbox, through the real simple-salesforce."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from adapters import AssignmentRequest, AssignOutcome, AuthError, build_adapter


def make_leads(sandbox, count: int, tag: str = "lead", **extra) -> list[str]:
    vendor = sandbox.vendor("salesforce")
    return [vendor.create_lead({"email": f"{tag}{i}@example{i % 5}.com", "first_name": f"L{i}",
                                "last_name": "Test", "company": f"Co {i}", "country": "Germany",
                                "employees": 40 + i, "source": "Web", **extra})["Id"]
            for i in range(count)]


def sf_calls(control, part: str = "") -> list[dict]:
    return [r for r in control.requests("salesforce") if part in r["path"] + "?" + r["query"]]


def owner_of(sandbox, lead_id: str) -> str:
    return sandbox.vendor("salesforce").get_record("Lead", lead_id)["OwnerId"]


def test_find_unassigned_pages_through_query_more_to_the_end(make_salesforce, sandbox, control):
    ids = make_leads(sandbox, 450)
    adapter = make_salesforce(query_batch_size=200)
    page = adapter.find_unassigned()
    assert sorted(r.id for r in page.leads) == sorted(ids) and not page.has_more
    stamps = [r.lead.raw["SystemModstamp"] for r in page.leads]
    assert stamps == sorted(stamps)   # oldest first (ties: by Id)
    queries = sf_calls(control, "/query")
    assert len(queries) == 3          # 200 + 200 + 50 via nextRecordsUrl
    assert all(q["headers"].get("Sforce-Query-Options") == "batchSize=200" for q in queries)
    assert adapter.find_unassigned(page.cursor).leads == []
    later = make_leads(sandbox, 2, tag="later")
    assert [r.id for r in adapter.find_unassigned(page.cursor).leads] == later


def test_find_unassigned_returns_pages_of_page_size_with_a_cursor(make_salesforce, sandbox):
    ids = make_leads(sandbox, 25)
    adapter = make_salesforce(page_size=10)
    seen, cursor = [], None
    for _ in range(5):
        page = adapter.find_unassigned(cursor)
        seen += [r.id for r in page.leads]
        cursor = page.cursor
        if not page.has_more:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


def test_leads_are_mapped_to_the_canonical_lead_with_raw_fields(make_salesforce, sandbox):
    make_leads(sandbox, 1, state="Bavaria")
    record = make_salesforce(field_overrides={"product": "Description"}).find_unassigned().leads[0]
    lead = record.lead
    assert (lead.email, lead.company, lead.country, lead.employees, lead.source) == \
        ("lead0@example0.com", "Co 0", "DE", 40, "Web")
    assert lead.raw["NumberOfEmployees"] == 40 and lead.raw["Email"] == "lead0@example0.com"
    assert record.owner_id.startswith("00G") and not record.has_real_owner
    assert lead.created_at is not None


def test_read_leads_uses_one_query_per_200_ids_and_shows_a_humans_owner(
        make_salesforce, sandbox, control, salesforce_user):
    ids = make_leads(sandbox, 250)
    maya = salesforce_user("maya")
    control.post("salesforce/reassign", lead_id=ids[5], owner_id=maya)
    records = make_salesforce().read_leads(ids + [ids[0][:15]])
    assert [r.id for r in records] == ids   # in the order asked for
    assert records[5].owner_id == maya and records[5].has_real_owner
    assert len(sf_calls(control, "/query")) == 2


def test_read_roster_marks_inactive_users_and_queue_membership(make_salesforce, sandbox):
    users = {u.email: u for u in make_salesforce().read_roster()}
    maya = users[sandbox.demo_org.rep("maya").email]
    assert maya.active and maya.name == "Maya Patel" and "Inbound Leads" in maya.teams
    former = users[sandbox.demo_org.former_reps[0].email]
    assert not former.active


def test_read_open_load_is_one_aggregate_query(make_salesforce, sandbox, control, salesforce_user):
    ids = make_leads(sandbox, 4)
    maya, liam, noah = (salesforce_user(k) for k in ("maya", "liam", "noah"))
    for lead_id, owner in zip(ids, (maya, maya, maya, liam)):
        control.post("salesforce/reassign", lead_id=lead_id, owner_id=owner)
    control.get("requests")  # (control calls are not logged)
    before = len(sf_calls(control, "/query"))
    assert make_salesforce().read_open_load([maya, liam, noah]) == {maya: 3, liam: 1, noah: 0}
    queries = sf_calls(control, "/query")[before:]
    assert len(queries) == 1 and "GROUP+BY" in queries[0]["query"].upper().replace("%20", "+")


def test_list_accounts_reads_websites_and_owners_and_finds_duplicate_leads(
        make_salesforce, sandbox, salesforce_user):
    company = sandbox.demo_org.companies[0]
    make_leads(sandbox, 2)
    adapter = make_salesforce()
    [account] = [a for a in adapter.list_accounts() if a.name == company.name]
    assert (account.domain, account.owner_id) == (f"https://www.{company.domain}", salesforce_user(company.owner))
    assert list(adapter.find_duplicates(["LEAD1@example1.com", "new@x.com"])) == ["lead1@example1.com"]


def test_assign_writes_owners_with_auto_assign_false_in_collections_of_200(
        make_salesforce, sandbox, control, salesforce_user):
    ids = make_leads(sandbox, 250)
    maya = salesforce_user("maya")
    results = make_salesforce().assign([AssignmentRequest(i, maya) for i in ids])
    assert {r.outcome for r in results} == {AssignOutcome.WRITTEN}
    # The org's assignment rule would have put every lead back into the queue.
    assert owner_of(sandbox, ids[0]) == maya and owner_of(sandbox, ids[-1]) == maya
    writes = [r for r in sf_calls(control, "/composite/sobjects") if r["method"] == "PATCH"]
    assert len(writes) == 2
    assert all(w["headers"].get("Sforce-Auto-Assign") == "FALSE" for w in writes)


def test_a_single_conditional_write_also_sends_auto_assign_false(make_salesforce, sandbox, control,
                                                                 salesforce_user):
    [lead_id] = make_leads(sandbox, 1)
    adapter = make_salesforce()
    record = adapter.read_leads([lead_id])[0]
    [result] = adapter.assign([AssignmentRequest(lead_id, salesforce_user("maya"), record.owner_id,
                                                 record.modified_at)])
    assert result.outcome is AssignOutcome.WRITTEN
    assert owner_of(sandbox, lead_id) == salesforce_user("maya")
    [patch] = [r for r in sf_calls(control, "/sobjects/Lead/") if r["method"] == "PATCH"]
    assert patch["headers"].get("Sforce-Auto-Assign") == "FALSE"
    assert patch["headers"].get("If-Unmodified-Since")


def test_a_human_reassignment_between_read_and_write_is_not_overwritten(
        make_salesforce, sandbox, control, salesforce_user):
    ids = make_leads(sandbox, 3)
    adapter = make_salesforce()
    records = adapter.read_leads(ids)
    liam, maya = salesforce_user("liam"), salesforce_user("maya")
    control.post("salesforce/reassign", lead_id=ids[1], owner_id=liam)
    results = adapter.assign([AssignmentRequest(r.id, maya, r.owner_id) for r in records])
    assert [r.outcome for r in results] == [AssignOutcome.WRITTEN, AssignOutcome.OWNER_CHANGED,
                                            AssignOutcome.WRITTEN]
    assert owner_of(sandbox, ids[1]) == liam and owner_of(sandbox, ids[0]) == maya


def test_if_unmodified_since_guards_a_single_write(make_salesforce, sandbox, control, salesforce_user):
    [lead_id] = make_leads(sandbox, 1)
    adapter = make_salesforce(recheck_before_write=False)
    record = adapter.read_leads([lead_id])[0]
    sandbox.clock.advance(5)
    liam = salesforce_user("liam")
    control.post("salesforce/reassign", lead_id=lead_id, owner_id=liam)
    [result] = adapter.assign([AssignmentRequest(lead_id, salesforce_user("maya"), record.owner_id,
                                                 record.modified_at)])
    assert result.outcome is AssignOutcome.OWNER_CHANGED and result.current_owner_id == liam
    assert owner_of(sandbox, lead_id) == liam


def test_partial_batch_failure_reports_each_lead(make_salesforce, sandbox, salesforce_user):
    ids = make_leads(sandbox, 2)
    maya = salesforce_user("maya")
    former = salesforce_user(sandbox.demo_org.former_reps[0].key)
    results = make_salesforce(recheck_before_write=False).assign([
        AssignmentRequest(ids[0], maya), AssignmentRequest(ids[1], former),
        AssignmentRequest("00Q000000000000AAA", maya)])
    assert [r.outcome for r in results] == [AssignOutcome.WRITTEN, AssignOutcome.INVALID_OWNER,
                                            AssignOutcome.NOT_FOUND]
    assert owner_of(sandbox, ids[0]) == maya and not owner_of(sandbox, ids[1]).startswith("005")


def test_an_expired_session_logs_in_again_and_the_call_succeeds(make_salesforce, sandbox, control):
    ids = make_leads(sandbox, 2)
    adapter = make_salesforce()
    adapter.read_leads(ids)
    control.post("salesforce/expire-sessions")
    assert len(adapter.read_leads(ids)) == 2
    assert adapter.conn.logins == 2
    assert [r["status"] for r in sf_calls(control, "/query")][-2:] == [401, 200]


def test_a_refused_login_is_an_auth_error(make_salesforce, sandbox):
    with pytest.raises(AuthError):
        make_salesforce(secrets={"password": "wrong", "security_token": ""}).read_roster()


def test_request_limit_exceeded_waits_and_succeeds(make_salesforce, sandbox, sleeps):
    ids = make_leads(sandbox, 1)
    sandbox.faults.add_burst(1, vendor="salesforce", path="*/query*")   # Salesforce answers 403
    assert len(make_salesforce().read_leads(ids)) == 1
    assert sleeps == [0.5]


def test_503_is_retried(make_salesforce, sandbox, control):
    ids = make_leads(sandbox, 1)
    sandbox.faults.add_error(503, count=1, vendor="salesforce", path="*/query*")
    assert len(make_salesforce().read_leads(ids)) == 1


def test_read_outcomes_reports_status_loss_first_activity_and_owner(make_salesforce, sandbox, salesforce_user):
    since = datetime.now(timezone.utc) - timedelta(seconds=5)
    ids = make_leads(sandbox, 3)
    with sandbox.lock:   # the rep logs a call on the first lead and a meeting on the third (Task, Event)
        store = sandbox.vendor("salesforce").store
        store.insert("Task", {"Subject": "Call", "WhoId": ids[0], "OwnerId": salesforce_user("maya")}, system=True)
        store.insert("Event", {"Subject": "Demo", "WhoId": ids[2], "OwnerId": salesforce_user("maya"),
                               "DurationInMinutes": 30}, system=True)
        store.update("Lead", ids[1], {"Status": "Closed - Not Converted"}, system=True)
    outcomes = {o.lead_id: o for o in make_salesforce().read_outcomes({i: since for i in ids})}
    assert set(outcomes) == set(ids)   # by id: only the leads asked about
    assert outcomes[ids[0]].status == "Open - Not Contacted" and not outcomes[ids[0]].converted
    assert outcomes[ids[0]].first_activity_at is not None and outcomes[ids[2]].first_activity_at is not None
    assert outcomes[ids[1]].first_activity_at is None
    assert outcomes[ids[1]].lost and not outcomes[ids[0]].lost
    later = {i: datetime.now(timezone.utc) + timedelta(hours=1) for i in ids}   # activity before the write
    assert all(o.first_activity_at is None for o in make_salesforce().read_outcomes(later))


def test_client_credentials_and_jwt_bearer_log_in(salesforce_settings, salesforce_secrets, running):
    sandbox = running.sandbox
    adapter = build_adapter("salesforce", {**salesforce_settings, "auth": "client_credentials"},
                            {"client_secret": salesforce_secrets["client_secret"]})
    assert adapter.read_roster()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    sandbox.options["salesforce_jwt_public_key"] = public
    try:
        adapter = build_adapter("salesforce", {**salesforce_settings, "auth": "jwt"},
                                {"private_key": pem})
        assert adapter.read_roster()
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        with pytest.raises(AuthError):
            build_adapter("salesforce", {**salesforce_settings, "auth": "jwt"},
                          {"private_key": other}).read_roster()
    finally:
        sandbox.options["salesforce_jwt_public_key"] = None


def test_a_single_write_after_an_unrelated_edit_still_lands(make_salesforce, sandbox, salesforce_user):
    [lead_id] = make_leads(sandbox, 1)
    adapter = make_salesforce(recheck_before_write=False)
    record = adapter.read_leads([lead_id])[0]
    sandbox.clock.advance(5)
    with sandbox.lock:   # someone edits the title, not the owner (no assignment rule: a UI edit)
        sandbox.vendor("salesforce").store.update("Lead", lead_id, {"Title": "CTO"}, auto_assign=False)
    [result] = adapter.assign([AssignmentRequest(lead_id, salesforce_user("maya"), record.owner_id,
                                                 record.modified_at)])
    assert result.outcome is AssignOutcome.WRITTEN and owner_of(sandbox, lead_id) == salesforce_user("maya")


def test_every_call_goes_to_the_instance_url_the_login_named(salesforce_settings, running, sandbox, control):
    """An org with a host of its own (its My Domain): the adapter logs in at the login URL it is
    configured with and then follows the instance_url of the login's answer; the login host
    does not know the org's sessions, so a call sent there would fail."""
    org = sandbox.vendor("salesforce").state.add_org(leads=3)
    info = org.describe("59.0")
    assert info["instance_url"] != running.url
    adapter = build_adapter("salesforce", {**salesforce_settings, "client_id": info["client_id"],
                                           "username": info["username"], "org_id": info["org_id"],
                                           "intake_queues": [info["intake_queue_id"]]},
                            {"client_secret": info["client_secret"], "password": info["password"]})
    assert len(adapter.find_unassigned().leads) == 3
    calls = [r for r in control.requests("salesforce") if r["path"].startswith("/services/")]
    host = info["instance_url"].partition("://")[2]
    assert [(c["path"], c["headers"]["Host"]) for c in calls][0] == \
        ("/services/oauth2/token", running.url.partition("://")[2])
    assert {c["headers"]["Host"] for c in calls[1:]} == {host} and all(c["status"] == 200 for c in calls)
    lead = adapter.find_unassigned().leads[0].id
    assert adapter.record_url(lead) == f"{info['instance_url']}/lightning/r/Lead/{lead}/view"
