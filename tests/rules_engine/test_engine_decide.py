"""decide(): rule order, account owners, on_empty, fallback, statuses, trace, priority, simulate."""
from __future__ import annotations

import json

from engine_helpers import config, rep, route, utc

from rules_engine import InMemoryState, Lead, Status, load_config, priority_key, simulate


def test_the_documented_example_routes_and_explains(example_config_text):
    cfg = load_config(example_config_text)
    lead = {"id": "1", "industry": "Aerospace", "employees": 5000, "country": "United States", "state": "California"}
    d = route(cfg, lead, now=utc(2026, 3, 4, 12, 30))  # ana: 09:30 in São Paulo
    assert (d.owner, d.rule, d.status) == ("ana", "big-aerospace", Status.ASSIGNED)
    assert d.explain() == [
        "rule existing-customer: applies to every lead",
        "rule existing-customer: lead has no email or website domain",
        "rule big-aerospace: matched (industry in ['Aerospace', 'Defense'] and employees gte 1000)",
        "weighted: ana has the highest credit (2, weight 2)",
    ]
    assert json.loads(json.dumps(d.to_dict()))["trace"][3] == {
        "step": "pick", "rule": "big-aerospace", "picker": "weighted", "rep": "ana",
        "text": "weighted: ana has the highest credit (2, weight 2)"}


ACCOUNTS = config([rep("ana"), rep("bruno", paused=True), rep("carla")],
                  [{"name": "acct", "assign": "account_owner"}, {"name": "rest", "to": "rep:carla"}],
                  accounts=[{"domain": "acme.com", "owner": "ana"}, {"domain": "globex.com", "owner": "bruno"}])


def test_account_owner_gets_leads_from_their_domain_and_subdomains():
    d = route(ACCOUNTS, {"id": "1", "email": "x@eu.ACME.com"})
    assert (d.owner, d.rule) == ("ana", "acct")
    assert route(ACCOUNTS, {"id": "2", "website": "https://www.acme.com/x"}).owner == "ana"


def test_an_ineligible_account_owner_or_no_account_falls_to_the_next_rule():
    d = route(ACCOUNTS, {"id": "1", "email": "x@globex.com"})
    assert (d.owner, d.rule) == ("carla", "rest") and "bruno: paused" in d.explain()
    d = route(ACCOUNTS, {"id": "2", "email": "x@initech.com"})
    assert d.owner == "carla" and "rule acct: no account for initech.com" in d.explain()


def test_accounts_from_the_crm_take_precedence():
    assert route(ACCOUNTS, {"id": "1", "email": "x@acme.com"}, accounts={"acme.com": "carla"}).owner == "carla"


NIGHT = utc(2026, 3, 4, 3, 0)  # 03:00 UTC Wednesday: everyone below is off
OFF = {"mon-fri": "09:00-17:00"}


def test_on_empty_wait_keeps_the_lead_pending_with_a_retry_time():
    cfg = config([rep("a", hours=OFF), rep("b", hours={"mon-fri": "08:00-17:00"}), rep("z")],
                 [{"name": "day", "to": ["rep:a", "rep:b"], "on_empty": "wait"}, {"name": "other", "to": "rep:z"}])
    d = route(cfg, now=NIGHT)
    assert (d.owner, d.status, d.rule) == (None, Status.WAITING, "day")
    assert d.retry_after == utc(2026, 3, 4, 8, 0)
    assert not d.state_changes
    assert "rule day: no eligible rep; the lead waits for a candidate" in d.explain()


def test_on_empty_next_tries_the_following_rule():
    cfg = config([rep("a", hours=OFF), rep("z")], [{"name": "day", "to": "rep:a"}, {"name": "other", "to": "rep:z"}])
    assert (route(cfg, now=NIGHT).rule) == "other"


def test_on_empty_fallback_skips_remaining_rules_and_fallback_ignores_hours_but_not_pause():
    reps = [rep("a", hours=OFF), rep("z"), rep("boss", hours=OFF)]
    rules = [{"name": "day", "to": "rep:a", "on_empty": "fallback"}, {"name": "other", "to": "rep:z"}]
    d = route(config(reps, rules, fallback="rep:boss"), now=NIGHT)
    assert (d.owner, d.rule, d.status) == ("boss", None, Status.ASSIGNED)
    reps[2]["paused"] = True
    d = route(config(reps, rules, fallback="rep:boss"), now=NIGHT)
    assert d.status is Status.WAITING and d.retry_after == utc(2026, 3, 4, 9, 0)


def test_without_fallback_a_lead_nobody_could_ever_take_is_unroutable():
    cfg = config([rep("a", active=False)], [{"name": "r", "to": "rep:a"},
                                            {"name": "never", "when": {"field": "score", "op": "gt", "value": 1000},
                                             "to": "rep:a"}])
    d = route(cfg)
    assert (d.owner, d.status) == (None, Status.UNROUTABLE)
    assert d.retry_after is None


def test_a_team_fallback_rotates():
    cfg = load_config(config([rep("a", paused=True), rep("x"), rep("y")], [{"name": "r", "to": "rep:a"}],
                             teams=[{"id": "mgr", "members": ["x", "y"]}], fallback="team:mgr"))
    state = InMemoryState()
    owners = [d.owner for _, d in simulate([{"id": str(i)} for i in range(3)], cfg, state, now=utc(2026, 3, 4))]
    assert owners == ["x", "y", "x"]


def test_decisions_are_deterministic_for_the_same_inputs(example_config_text):
    cfg = load_config(example_config_text)
    lead = Lead.from_dict({"id": "1", "industry": "Retail", "email": "a@b.com"})
    state = InMemoryState.from_dict({"reps": {"ana": {"open": 3}}, "rotation": {"everyone-else": "ana"}})
    first = route(cfg, lead, state=state).to_dict()
    assert route(load_config(example_config_text), lead, state=state).to_dict() == first


def test_state_changes_carry_the_assignment_in_the_reps_buckets():
    cfg = config([rep("ana", timezone="America/Sao_Paulo")], [{"name": "r", "to": "rep:ana"}])
    d = route(cfg, now=utc(2026, 3, 4, 2, 30))
    delta = d.state_changes.reps["ana"]
    assert delta.open == 1
    assert delta.counts == ("h:2026-03-03T23-03:00", "d:2026-03-03", "w:2026-W10")
    assert d.state_changes.rotation == {"r": "ana"}


def test_priority_is_higher_score_first_then_older_first():
    leads = [Lead.from_dict(x) for x in (
        {"id": "old-low", "score": 10, "created_at": "2026-03-01T00:00:00Z"},
        {"id": "new-high", "score": 90, "created_at": "2026-03-03T00:00:00Z"},
        {"id": "old-high", "score": 90, "created_at": "2026-03-02T00:00:00Z"},
        {"id": "unscored", "created_at": "2026-01-01T00:00:00Z"})]
    assert [x.id for x in sorted(leads, key=priority_key)] == ["old-high", "new-high", "old-low", "unscored"]


def test_simulate_updates_state_after_each_assignment_and_can_order_by_priority():
    cfg = load_config(config([rep("a"), rep("b")], [{"name": "r", "to": ["rep:a", "rep:b"]}]))
    leads = [{"id": "1", "score": 1, "created_at": "2026-03-04T10:00:00Z"},
             {"id": "2", "score": 99, "created_at": "2026-03-04T11:00:00Z"}]
    state = InMemoryState()
    routed = [(lead.id, d.owner) for lead, d in simulate(leads, cfg, state, priority=True)]
    assert routed == [("2", "a"), ("1", "b")]
    assert state.rep("a").open == 1 and state.rep("b").open == 1
