"""Every value that reaches SOQL is escaped; hostile values find nothing and break nothing."""
from __future__ import annotations

import pytest

from adapters import InvalidData
from adapters import salesforce_soql as soql

HOSTILE = ["x' OR Name != '", "back\\slash' OR Id != '", "50%_off", "quote\"d", "new\nline",
           "' OR IsConverted = true OR Email = '", "\\'", "%", "_"]


def test_string_literals_escape_quotes_backslashes_and_control_characters():
    assert soql.string("O'Connor") == "'O\\'Connor'"
    assert soql.string("a\\b") == "'a\\\\b'"
    assert soql.string("\\'") == "'\\\\\\''"
    assert soql.string('say "hi"\n') == "'say \\\"hi\\\"\\n'"


def test_like_patterns_escape_wildcards_too():
    assert soql.like("50%_off") == "'%50\\%\\_off%'"
    assert soql.like("it's", prefix="") == "'it\\'s%'"


@pytest.mark.parametrize("value", ["00Q' OR Id != '", "00Q5g0000000001", "x" * 18 + "'", "", None])
def test_ids_that_are_not_ids_are_refused_before_any_query(value):
    if value == "00Q5g0000000001":
        assert soql.record_id(value) == "'00Q5g0000000001'"
        return
    with pytest.raises(InvalidData):
        soql.record_id(value)


def test_hostile_values_reach_the_sandbox_as_literals_and_match_nothing(make_salesforce, sandbox,
                                                                         control):
    sandbox.vendor("salesforce").create_lead({"email": "real@example.com", "last_name": "R",
                                              "company": "C"})
    adapter = make_salesforce()
    assert adapter.find_duplicates(HOSTILE) == {}
    assert adapter.find_duplicates([], names=[(v, v, v) for v in HOSTILE]) == {}
    statuses = {r["status"] for r in control.requests("salesforce") if "/query" in r["path"]}
    assert statuses == {200}   # every query parsed: nothing escaped the literal


def test_a_hostile_email_that_exists_is_found_exactly(make_salesforce, sandbox):
    email = "o'brien\\%_@example.com"
    sandbox.vendor("salesforce").create_lead({"email": email, "last_name": "O'Brien", "company": "C"})
    sandbox.vendor("salesforce").create_lead({"email": "obrien@example.com", "last_name": "B",
                                              "company": "C"})
    assert list(make_salesforce().find_duplicates([email])) == [email]


def test_hostile_queue_names_and_field_overrides_are_refused_or_escaped(make_salesforce):
    with pytest.raises(InvalidData):   # looked up as a literal name: no such queue
        make_salesforce(intake_queues=["Inbound Leads' OR Name != '"]).find_unassigned()
    with pytest.raises(ValueError):
        make_salesforce(field_overrides={"product": "Name FROM User --"})


def test_a_queue_can_be_named_instead_of_its_id(make_salesforce, sandbox):
    [lead_id] = [sandbox.vendor("salesforce").create_lead({"last_name": "Q", "company": "C"})["Id"]]
    page = make_salesforce(intake_queues=["Inbound_Leads"]).find_unassigned()
    assert [r.id for r in page.leads] == [lead_id]
