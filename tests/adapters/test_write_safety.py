"""A person's owner always wins: the owner is re-checked before every write attempt, retries and
re-logins included, against the sandbox through the real SDKs. Also measures the window left
between a check and the write it allowed (README, "Write safety")."""
from __future__ import annotations

import statistics

from adapters import AssignmentRequest, AssignOutcome
from tests.adapters.test_hubspot_adapter import hubspot_calls, make_contacts
from tests.adapters.test_salesforce_adapter import make_leads, owner_of, sf_calls


class PersonDuringBackoff:
    """The adapter's ``sleep``: the first backoff is when a person reassigns a lead in the CRM."""

    def __init__(self, act) -> None:
        self.act, self.waits = act, []

    def __call__(self, seconds: float) -> None:
        if not self.waits:
            self.act()
        self.waits.append(seconds)


def test_hubspot_a_person_who_reassigns_during_a_retry_wins(hubspot_settings, hubspot_secrets, sandbox,
                                                            control, hubspot_owner):
    from adapters import build_adapter

    ids = make_contacts(sandbox, 3)
    maya, liam = hubspot_owner("maya"), hubspot_owner("liam")
    sleep = PersonDuringBackoff(lambda: control.post("hubspot/reassign", contact_id=ids[1], owner="liam"))
    adapter = build_adapter("hubspot", hubspot_settings, hubspot_secrets, sleep=sleep)
    records = adapter.read_leads(ids)
    sandbox.faults.add_error(503, count=1, vendor="hubspot", path="*/batch/update")
    results = adapter.assign([AssignmentRequest(r.id, maya, expected_owner_id=r.owner_id) for r in records])
    assert [r.outcome for r in results] == [AssignOutcome.WRITTEN, AssignOutcome.OWNER_CHANGED,
                                            AssignOutcome.WRITTEN]
    assert sleep.waits  # the write really was retried
    assert sandbox.vendor("hubspot").get_record("contacts", ids[1])["properties"]["hubspot_owner_id"] == liam
    # check, write (503), check again, write: every write attempt right after its own check
    calls = [r["path"].rsplit("/", 1)[-1] for r in hubspot_calls(control, "/batch/")]
    assert calls == ["read", "read", "update", "read", "update"]   # first read: read_leads


def test_salesforce_a_person_who_reassigns_during_a_retry_wins(salesforce_settings, salesforce_secrets,
                                                               sandbox, control, salesforce_user):
    from adapters import build_adapter

    ids = make_leads(sandbox, 3)
    maya, liam = salesforce_user("maya"), salesforce_user("liam")
    sleep = PersonDuringBackoff(lambda: control.post("salesforce/reassign", lead_id=ids[2], owner_id=liam))
    adapter = build_adapter("salesforce", salesforce_settings, salesforce_secrets, sleep=sleep)
    records = adapter.read_leads(ids)
    sandbox.faults.add_error(503, count=2, vendor="salesforce", method="PATCH", path="*/composite/sobjects")
    results = adapter.assign([AssignmentRequest(r.id, maya, r.owner_id) for r in records])
    assert [r.outcome for r in results] == [AssignOutcome.WRITTEN, AssignOutcome.WRITTEN,
                                            AssignOutcome.OWNER_CHANGED]
    assert results[2].current_owner_id == liam and owner_of(sandbox, ids[2]) == liam
    assert owner_of(sandbox, ids[0]) == maya
    writes = [r for r in sf_calls(control, "/composite/sobjects") if r["method"] == "PATCH"]
    assert [w["status"] for w in writes] == [503, 503, 200] and ids[2] not in writes[-1]["body"]


def test_salesforce_an_expired_session_at_write_time_goes_back_to_the_check(make_salesforce, sandbox, control,
                                                                            salesforce_user):
    """The session expires and a person takes the lead between our check and our write: the
    write is refused (401), we log in again and check again instead of resending the write."""
    ids = make_leads(sandbox, 2)
    maya, liam = salesforce_user("maya"), salesforce_user("liam")
    adapter = make_salesforce()
    records = adapter.read_leads(ids)
    once, state = adapter.conn.once, {"done": False}

    def before_first_write(fn):
        # The write's lambda refers to sf.restful: the first such call finds a person and no session.
        if not state["done"] and "restful" in fn.__code__.co_names:
            state["done"] = True
            control.post("salesforce/reassign", lead_id=ids[0], owner_id=liam)
            control.post("salesforce/expire-sessions")
        return once(fn)

    adapter.conn.once = before_first_write
    results = adapter.assign([AssignmentRequest(r.id, maya, r.owner_id) for r in records])
    assert [r.outcome for r in results] == [AssignOutcome.OWNER_CHANGED, AssignOutcome.WRITTEN]
    assert owner_of(sandbox, ids[0]) == liam and owner_of(sandbox, ids[1]) == maya
    assert adapter.conn.logins == 2
    writes = [r["status"] for r in sf_calls(control, "/composite/sobjects") if r["method"] == "PATCH"]
    assert writes == [401, 200]


def test_salesforce_a_single_write_is_conditional_on_the_stamp_its_check_read(make_salesforce, sandbox, control,
                                                                              salesforce_user):
    [lead_id] = make_leads(sandbox, 1)
    adapter = make_salesforce()
    record = adapter.read_leads([lead_id])[0]
    sandbox.clock.advance(5)
    with sandbox.lock:   # an unrelated edit after our read: the check reads the fresh stamp
        sandbox.vendor("salesforce").store.update("Lead", lead_id, {"Title": "CTO"}, auto_assign=False)
    [result] = adapter.assign([AssignmentRequest(lead_id, salesforce_user("maya"), record.owner_id,
                                                 record.modified_at)])
    assert result.outcome is AssignOutcome.WRITTEN
    [patch] = [r for r in sf_calls(control, "/sobjects/Lead/") if r["method"] == "PATCH"]
    assert patch["status"] == 204 and patch["headers"]["If-Unmodified-Since"] != ""


def _percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else samples[0]


def test_the_window_between_check_and_write_is_measured(make_salesforce, make_hubspot, sandbox, salesforce_user,
                                                        hubspot_owner):
    """Many small writes (2 leads each, the pipeline's common case under webhooks): the seconds
    from each check's answer to its write's answer. Printed for README's "Write safety"."""
    sf, hs = make_salesforce(), make_hubspot()
    sf_ids, hs_ids = make_leads(sandbox, 200, tag="w"), make_contacts(sandbox, 200, tag="w")
    maya_sf, maya_hs = salesforce_user("maya"), hubspot_owner("maya")
    for start in range(0, 200, 2):
        sf.assign([AssignmentRequest(i, maya_sf) for i in sf_ids[start:start + 2]])
        hs.assign([AssignmentRequest(i, maya_hs) for i in hs_ids[start:start + 2]])
    for name, adapter in (("Salesforce", sf), ("HubSpot", hs)):
        samples = [s * 1000 for s in adapter.write_windows.samples]
        assert len(samples) == 100
        p50, p99 = _percentile(samples, 50), _percentile(samples, 99)
        print(f"\n{name} check-to-write window over {len(samples)} writes: p50 {p50:.1f} ms, "
              f"p99 {p99:.1f} ms, max {max(samples):.1f} ms")
        assert 0 < p50 <= p99 < 1000   # no backoff, limiter wait or re-login inside the window
