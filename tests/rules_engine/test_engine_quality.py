"""quality: junk leads (invalid or disposable email, test values, impossible phone numbers)."""
from __future__ import annotations

import pytest
from engine_helpers import config, rep, route, utc

from rules_engine import ConfigError, InMemoryState, Lead, Status, decide, load_config

GOOD = {"id": "L1", "email": "ana.souza@acme.com", "first_name": "Ana", "last_name": "Souza",
        "company": "Acme", "phone": "+1 650 253 0000", "country": "US"}


def _config(**quality):
    return config([rep("ana"), rep("bruno"), rep("junkbox", paused=quality.pop("paused", False)),
                   rep("triage", crm={"salesforce": "005TRIAGE"})],
                  [{"name": "r", "to": "team:sales"}],
                  teams=[{"id": "sales", "members": ["ana", "bruno"]},
                         {"id": "junk", "members": ["junkbox", "triage"]}],
                  quality=quality)


@pytest.mark.parametrize("change,check,text", [
    ({"email": "ana.souza@acme"}, "invalid_email", "email 'ana.souza@acme' is not valid"),
    ({"email": "ana..souza@acme.com"}, "invalid_email", "two periods in a row"),
    ({"email": "jo@mailinator.com"}, "disposable_email", "mailinator.com is a disposable mail domain"),
    ({"first_name": "test"}, "test_values", "first name 'test' is a test value"),
    ({"last_name": "asdf"}, "test_values", "last name 'asdf' is a test value"),
    ({"company": "xxxx"}, "test_values", "company 'xxxx' is a test value"),
    ({"email": "qwerty@acme.com"}, "test_values", "email 'qwerty' is a test value"),
    ({"email": "ana@example.com"}, "test_values", "example.com is a domain reserved for examples and tests"),
    ({"first_name": "ana.souza@acme.com", "last_name": None}, "test_values", "the name is the email address"),
])
def test_a_junk_lead_is_held_with_the_reason_in_its_trace(change, check, text):
    d = route(_config(), {**GOOD, **change})
    assert (d.status, d.owner, d.junk) == (Status.JUNK, None, (check,))
    quality = [s for s in d.trace if s["step"] == "quality"]
    assert quality[0]["check"] == check and text in quality[0]["text"]
    assert d.explain()[-1] == "junk: held unassigned"
    assert not d.state_changes


def test_a_clean_lead_is_routed_and_real_names_are_not_test_values():
    for lead in (GOOD, {**GOOD, "first_name": "Testa", "company": "Contest Inc", "email": "aaron@acme.com"}):
        d = route(_config(), lead)
        assert d.status == Status.ASSIGNED and d.junk == ()


def test_phone_numbers_are_checked_against_the_leads_country_when_switched_on():
    cfg = _config(invalid_phone=True)
    bad = route(cfg, {**GOOD, "phone": "555-1234"})
    assert bad.status == Status.JUNK and "phone '555-1234' cannot be a valid number for US" in bad.explain()[0]
    assert route(cfg, {**GOOD, "phone": "030 901820", "country": "Deutschland"}).status == Status.ASSIGNED
    assert route(cfg, {**GOOD, "phone": "(11) 91234-5678", "country": "Brasil"}).status == Status.ASSIGNED
    assert route(_config(), {**GOOD, "phone": "555-1234"}).status == Status.ASSIGNED   # off by default


def test_each_check_can_be_switched_off():
    off = _config(invalid_email=False, disposable_email=False, test_values=False)
    for change in ({"email": "ana.souza@acme"}, {"email": "jo@mailinator.com"}, {"first_name": "test"}):
        assert route(off, {**GOOD, **change}).status == Status.ASSIGNED
    assert route(config([rep("ana")], [{"name": "r", "to": "rep:ana"}]), {**GOOD, "first_name": "test"}).owner == "ana"


def test_a_junk_lead_takes_nobodys_turn():
    cfg = load_config(_config())
    state = InMemoryState()
    owners = []
    for i, first in enumerate(["Ana", "test", "Bea", "asdf", "Cid"]):
        d = decide(Lead.from_dict({**GOOD, "id": f"L{i}", "first_name": first}), cfg, state, utc(2026, 3, 4, 15))
        state.apply(d.state_changes)
        owners.append(d.owner)
    assert owners == ["ana", None, "bruno", None, "ana"]
    assert state.rep("ana").open == 2 and state.rep("bruno").open == 1


def test_route_only_tags_the_junk_and_routes_it_as_usual():
    d = route(_config(action="route"), {**GOOD, "first_name": "test"})
    assert (d.status, d.owner, d.junk) == (Status.ASSIGNED, "ana", ("test_values",))
    assert "junk: tagged, routed as usual (quality action route)" in d.explain()
    assert d.to_dict()["junk"] == ["test_values"]


def test_a_junk_owner_gets_the_lead_without_load_and_paused_ones_are_passed_over():
    d = route(_config(action="rep:triage"), {**GOOD, "email": "jo@mailinator.com"}, crm="salesforce")
    assert (d.status, d.owner, d.crm_owner_id) == (Status.JUNK, "triage", "005TRIAGE") and not d.state_changes
    d = route(_config(action="team:junk", paused=True), {**GOOD, "email": "jo@mailinator.com"})
    assert d.owner == "triage" and "junkbox: paused" in d.explain()


def test_the_quality_block_is_validated_with_its_paths():
    with pytest.raises(ConfigError) as err:
        load_config(_config(action="rep:nobody", invalid_phone="maybe", spam=True))
    messages = sorted(str(e) for e in err.value.errors)
    assert messages == ["quality.action: unknown rep 'nobody'",
                        "quality.invalid_phone: Input should be a valid boolean, unable to interpret input",
                        "quality.spam: unknown key 'spam'"]
    with pytest.raises(ConfigError, match="quality.action: String should match pattern"):
        load_config(_config(action="delete"))
