"""Eligibility: hours and DST, away, pause, load and caps at their boundaries, exclusions,
territories, skills and CRM owner ids."""
from __future__ import annotations

from engine_helpers import config, rep, route, team_config, utc

from rules_engine import InMemoryState, Lead, Status, decide, load_config

SAO_PAULO = rep("ana", timezone="America/Sao_Paulo", hours={"mon-fri": "09:00-18:00", "sat": "10:00-14:00"})


def solo(r, **rule):
    return config([r], [{"name": "r", "to": f"rep:{r['id']}", **rule}])


def owner_at(cfg, now, state=None, **kw):
    return route(cfg, state=state, now=now, **kw).owner


def test_it_skips_reps_outside_working_hours_in_their_time_zone():
    cfg = solo(SAO_PAULO)
    d = route(cfg, now=utc(2026, 3, 4, 11, 59))  # Wednesday 08:59 in São Paulo
    assert d.owner is None
    assert "ana: outside hours 09:00-18:00 America/Sao_Paulo" in d.explain()
    assert owner_at(cfg, utc(2026, 3, 4, 12, 0)) == "ana"    # 09:00 local
    assert owner_at(cfg, utc(2026, 3, 4, 20, 59)) == "ana"   # 17:59 local
    assert owner_at(cfg, utc(2026, 3, 4, 21, 0)) is None     # 18:00: the end is exclusive
    assert owner_at(cfg, utc(2026, 3, 7, 13, 30)) == "ana"   # Saturday 10:30
    d = route(cfg, now=utc(2026, 3, 8, 15, 0))               # Sunday
    assert "ana: outside hours (off on sun) America/Sao_Paulo" in d.explain()


def test_working_hours_follow_the_dst_change():
    cfg = solo(rep("ny", timezone="America/New_York", hours={"mon-fri": "09:00-17:00"}))
    assert owner_at(cfg, utc(2026, 3, 6, 13, 30)) is None    # Fri 08:30 EST (UTC-5)
    assert owner_at(cfg, utc(2026, 3, 6, 14, 0)) == "ny"     # Fri 09:00 EST
    assert owner_at(cfg, utc(2026, 3, 9, 13, 0)) == "ny"     # Mon 09:00 EDT (UTC-4) after the change
    assert owner_at(cfg, utc(2026, 3, 9, 21, 0)) is None     # Mon 17:00 EDT


def test_overnight_hours_run_past_midnight():
    cfg = solo(rep("owl", hours={"fri": "22:00-02:00"}))
    assert owner_at(cfg, utc(2026, 3, 6, 23, 0)) == "owl"    # Friday 23:00
    assert owner_at(cfg, utc(2026, 3, 7, 1, 59)) == "owl"    # Saturday 01:59
    assert owner_at(cfg, utc(2026, 3, 7, 2, 0)) is None


def test_away_dates_are_inclusive_in_the_reps_time_zone():
    cfg = solo(rep("ana", timezone="America/Sao_Paulo", away=[{"from": "2026-12-20", "to": "2027-01-03"}]))
    assert owner_at(cfg, utc(2026, 12, 20, 2, 59)) == "ana"  # Dec 19, 23:59 local
    d = route(cfg, now=utc(2026, 12, 20, 3, 0))
    assert d.owner is None and "ana: away 2026-12-20..2027-01-03" in d.explain()
    assert owner_at(cfg, utc(2027, 1, 4, 2, 59)) is None     # Jan 3, 23:59 local
    assert owner_at(cfg, utc(2027, 1, 4, 3, 0)) == "ana"


def test_paused_and_inactive_reps_get_nothing():
    d = route(team_config(rep("a", paused=True), rep("b", active=False), "c"))
    assert d.owner == "c"
    assert {"a: paused", "b: inactive"} <= set(d.explain())


def test_max_open_applies_at_the_boundary():
    cfg = solo(rep("ana", max_open=40))
    assert owner_at(cfg, utc(2026, 3, 4, 15), InMemoryState.from_dict({"reps": {"ana": {"open": 39}}})) == "ana"
    d = route(cfg, state=InMemoryState.from_dict({"reps": {"ana": {"open": 40}}}))
    assert d.owner is None and "ana: 40 open leads (max_open reached)" in d.explain()


def test_daily_cap_applies_at_the_boundary():
    cfg = solo(rep("bruno", daily_cap=15))
    at = utc(2026, 3, 4, 15)
    assert owner_at(cfg, at, InMemoryState.from_dict({"reps": {"bruno": {"counts": {"d:2026-03-04": 14}}}})) == "bruno"
    d = route(cfg, state=InMemoryState.from_dict({"reps": {"bruno": {"counts": {"d:2026-03-04": 15}}}}), now=at)
    assert d.owner is None and "bruno: daily cap 15 reached" in d.explain()


def assign_then(cfg, first, later):
    """Assign one lead at `first`, then return who gets a lead at each time in `later`."""
    cfg = load_config(cfg)
    state = InMemoryState()
    d = decide(Lead(id="first"), cfg, state, first)
    assert d.status is Status.ASSIGNED
    state.apply(d.state_changes)
    return [decide(Lead(id="next"), cfg, state, t).owner for t in later]


def test_daily_cap_resets_at_the_reps_local_midnight_not_utc():
    cfg = solo(rep("la", timezone="America/Los_Angeles", daily_cap=1))
    assert assign_then(cfg, utc(2026, 3, 4, 20), [
        utc(2026, 3, 5, 1),    # a new UTC day, still Mar 4 in LA
        utc(2026, 3, 5, 7, 59),
        utc(2026, 3, 5, 8, 0),  # Mar 5, 00:00 PST
    ]) == [None, None, "la"]


def test_daily_cap_on_the_23_hour_day_of_spring_forward():
    cfg = solo(rep("ny", timezone="America/New_York", daily_cap=1))
    assert assign_then(cfg, utc(2026, 3, 8, 5, 0), [      # Mar 8, 00:00 EST
        utc(2026, 3, 9, 3, 59),                            # Mar 8, 23:59 EDT
        utc(2026, 3, 9, 4, 0),                             # Mar 9, 00:00 EDT
    ]) == [None, "ny"]


def test_hourly_cap_counts_the_repeated_hour_of_fall_back_as_two_hours():
    cfg = solo(rep("ny", timezone="America/New_York", hourly_cap=1))
    assert assign_then(cfg, utc(2026, 11, 1, 5, 30), [    # 01:30 EDT
        utc(2026, 11, 1, 5, 59),                           # 01:59 EDT: same hour
        utc(2026, 11, 1, 6, 10),                           # 01:10 EST: the clock's next hour
    ]) == [None, "ny"]


def test_hourly_cap_resets_on_the_hour():
    cfg = solo(rep("ana", hourly_cap=1))
    assert assign_then(cfg, utc(2026, 3, 4, 10, 15), [utc(2026, 3, 4, 10, 59), utc(2026, 3, 4, 11, 0)]) == [None, "ana"]


def test_weekly_cap_resets_at_local_monday_midnight():
    cfg = solo(rep("es", timezone="Europe/Madrid", weekly_cap=1))
    assert assign_then(cfg, utc(2026, 3, 2, 9), [         # Monday
        utc(2026, 3, 8, 22, 59),                           # Sunday 23:59 CET
        utc(2026, 3, 8, 23, 0),                            # Monday 00:00 CET
    ]) == [None, "es"]


def test_excluded_reps_are_skipped_for_re_routing():
    d = route(team_config("a", "b"), exclude=frozenset({"a"}))
    assert d.owner == "b" and "a: already had this lead" in d.explain()


TERRITORY = [rep("ana", territories=[{"country": "US", "state": ["California", "OR", "WA"]}, {"country": "BR"},
                                     {"country": "US", "postal": ["100*"]}]),
             rep("bruno", territories=[{"country": "United States"}])]


def territory_owner(**lead):
    cfg = config(TERRITORY, [{"name": "r", "to": ["rep:ana"], "require": ["territory"]}])
    return route(cfg, {"id": "L", **lead})


def test_territory_matches_country_state_and_postal_patterns():
    assert territory_owner(country="United States", state="CA").owner == "ana"
    assert territory_owner(country="Brazil").owner == "ana"
    assert territory_owner(country="USA", state="NY", postal_code="10001").owner == "ana"
    d = territory_owner(country="US", state="New York", postal_code="12207")
    assert d.owner is None and "ana: US/NY/12207 is outside their territories" in d.explain()
    assert territory_owner().owner is None


def test_skills_require_the_leads_field_value_slugified():
    reps = [rep("bruno", skills=["retail"]), rep("ana", skills=["Aerospace", "spanish"])]
    cfg = config(reps, [{"name": "r", "to": ["rep:bruno", "rep:ana"], "require": [{"skills": ["field:industry", "Spanish"]}]}])
    d = route(cfg, {"id": "L", "industry": "AEROSPACE"})
    assert d.owner == "ana" and "bruno: lacks skills aerospace, spanish" in d.explain()
    d = route(cfg, {"id": "L"})
    assert d.owner is None and "rule r: lead has no industry, so no rep can match skills" in d.explain()


def test_reps_without_an_owner_id_in_the_connected_crm_are_skipped():
    cfg = team_config(rep("a", crm={"salesforce": "005A"}), rep("b", crm={"hubspot": "77"}))
    d = route(cfg, crm="hubspot")
    assert (d.owner, d.crm_owner_id) == ("b", "77")
    assert "a: no hubspot owner id" in d.explain()


def test_owner_ids_per_connection_name_route_two_portals_of_one_crm():
    cfg = team_config(rep("a", crm={"hubspot-eu": "101"}), rep("b", crm={"hubspot-us": "202"}),
                      rep("c", crm={"hubspot": "303"}))
    d = route(cfg, crm=("hubspot-us",))  # two HubSpot portals: only the name says which
    assert (d.owner, d.crm_owner_id) == ("b", "202")
    assert "a: no hubspot-us owner id" in d.explain()
    d = route(cfg, crm=("hubspot-eu", "hubspot"))  # one portal of its kind: the kind is shorthand too
    assert (d.owner, d.crm_owner_id) == ("a", "101")
    assert load_config(cfg).rep_for_owner(("hubspot-x", "hubspot"), "303") == "c"
