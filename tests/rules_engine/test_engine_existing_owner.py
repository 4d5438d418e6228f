"""assign: existing_owner: a person already in the CRM goes to the owner they already have."""
from __future__ import annotations

from engine_helpers import config, rep, route, utc

from rules_engine import InMemoryState, Status, load_config, simulate
from rules_engine.people import CONTACT, KnownPeople, KnownPerson


def _config():
    return config([rep("ana"), rep("bruno", away=[{"from": "2026-03-01", "to": "2026-03-10"}]), rep("carla")],
                  [{"name": "same-person", "assign": "existing_owner"}, {"name": "everyone", "to": "rep:carla"}])


PEOPLE = KnownPeople([
    KnownPerson("ana", "00Q1", email="jo.bloggs@acme.com", first_name="Jo", last_name="Bloggs"),
    KnownPerson("bruno", "003X", kind=CONTACT, email="mia@initech.com", first_name="Mia", last_name="Wong"),
    KnownPerson("ana", "00Q2", email="li.chen@gmail.com", first_name="Li", last_name="Chen"),
    KnownPerson("crm:0057", "00Q3", email="sam@umbrella.com"),
])


def test_the_same_email_goes_to_the_owner_of_the_earlier_record():
    d = route(_config(), {"id": "00Q9", "email": "Jo.Bloggs@ACME.com"}, known_people=PEOPLE)
    assert (d.owner, d.rule) == ("ana", "same-person")
    assert "rule same-person: ana owns lead 00Q1 with the same email Jo.Bloggs@ACME.com" in d.explain()


def test_the_same_name_at_the_same_company_domain_is_the_same_person():
    lead = {"id": "00Q9", "email": "j.bloggs@acme.com", "first_name": "Jo", "last_name": "Bloggs"}
    d = route(_config(), lead, known_people=PEOPLE)
    assert d.owner == "ana" and "the same name Jo Bloggs at acme.com" in d.explain()[1]
    # the same name at a free-mail domain says nothing
    lead = {"id": "00Q8", "email": "lichen77@gmail.com", "first_name": "Li", "last_name": "Chen"}
    assert route(_config(), lead, known_people=PEOPLE).owner == "carla"


def test_the_leads_own_record_is_not_its_duplicate():
    assert route(_config(), {"id": "00Q1", "email": "jo.bloggs@acme.com"}, known_people=PEOPLE).owner == "carla"


def test_an_unavailable_owner_leaves_the_rule_to_on_empty():
    d = route(_config(), {"id": "00Q9", "email": "mia@initech.com"}, known_people=PEOPLE, now=utc(2026, 3, 4, 15))
    assert d.owner == "carla" and "bruno: away 2026-03-01..2026-03-10" in d.explain()
    cfg = _config()
    cfg["rules"][0]["on_empty"] = "wait"
    d = route(cfg, {"id": "00Q9", "email": "mia@initech.com"}, known_people=PEOPLE, now=utc(2026, 3, 4, 15))
    assert d.status == Status.WAITING and d.retry_after == utc(2026, 3, 11)


def test_no_record_or_an_owner_who_is_not_a_rep_yields_nothing():
    d = route(_config(), {"id": "00Q9", "email": "new@acme.com"}, known_people=PEOPLE)
    assert d.owner == "carla" and "rule same-person: no open lead or contact of this person in the CRM" in d.explain()
    d = route(_config(), {"id": "00Q9", "email": "sam@umbrella.com"}, known_people=PEOPLE)
    assert d.owner == "carla" and "rule same-person: crm:0057 is not a rep here" in d.explain()


def test_simulate_sends_a_second_form_fill_to_the_first_owner():
    cfg = load_config(config([rep("ana"), rep("bruno")],
                             [{"name": "same-person", "assign": "existing_owner"},
                              {"name": "rotate", "to": "team:t"}], teams=[{"id": "t", "members": ["ana", "bruno"]}]))
    assert cfg.compiled.needs_people
    leads = [{"id": "L1", "email": "a@acme.com"}, {"id": "L2", "email": "b@acme.com"},
             {"id": "L3", "email": "A@acme.com"}, {"id": "L4", "email": "c@acme.com"}]
    owners = [(d.owner, d.rule) for _, d in simulate(leads, cfg, InMemoryState(), now=utc(2026, 3, 4, 15))]
    assert owners == [("ana", "rotate"), ("bruno", "rotate"), ("ana", "same-person"), ("ana", "rotate")]
