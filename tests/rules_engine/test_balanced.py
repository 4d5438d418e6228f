"""The balanced picker: fair share of a rolling window, counting only the time each rep was
available; time off, pool changes and caps."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from engine_helpers import rep, team_config, utc

from rules_engine import ConfigError, InMemoryState, load_config, simulate
from rules_engine.fairness import lead_shares

START = utc(2026, 11, 2)  # a Monday


def leads(n, start=START, every=timedelta(minutes=30), prefix="L"):
    return [{"id": f"{prefix}{i}", "created_at": (start + i * every).isoformat()} for i in range(n)]


def owners(cfg, items, state):
    cfg = load_config(cfg) if isinstance(cfg, dict) else cfg
    return [d.owner for _, d in simulate(items, cfg, state)]


def test_it_gives_each_rep_their_weighted_share_at_every_point():
    cfg = load_config(team_config(rep("ana"), rep("bo", weight=3), rep("cy", weight=2), pick="balanced"))
    items = leads(60)
    got = owners(cfg, items, InMemoryState())
    for k in range(1, len(items) + 1):
        fair = lead_shares(cfg, [(START + i * timedelta(minutes=30), "r") for i in range(k)])
        counts = Counter(got[:k])
        assert all(abs(counts[r] - fair[r]) < 1 for r in fair), (k, counts, fair)
    assert Counter(got) == {"bo": 30, "cy": 20, "ana": 10}


def test_a_rep_back_from_two_weeks_away_gets_a_normal_share_not_a_burst():
    cfg = team_config(rep("ana"), rep("bo"), rep("cy", away=[{"from": "2026-11-02", "to": "2026-11-15"}]),
                      pick="balanced")
    got = owners(cfg, leads(21 * 24, every=timedelta(hours=1)), InMemoryState())
    back = got[14 * 24:]                       # from Monday 16 November, cy's first day back
    assert "cy" not in got[:14 * 24]
    assert back[:3].count("cy") == 1           # their turn, not the two weeks they missed
    assert abs(back.count("cy") - len(back) / 3) < 1
    assert max(len(run) for run in "".join("c" if o == "cy" else "." for o in back).split(".")) == 1


def test_outside_working_hours_a_rep_is_owed_nothing():
    cfg = team_config(rep("ana"), rep("bo", hours={"mon-sun": "09:00-17:00"}), pick="balanced")
    got = owners(cfg, leads(48, every=timedelta(hours=1)), InMemoryState())
    day = got[9:17]
    assert day.count("bo") == 4 and day.count("ana") == 4     # in hours: half each, from 09:00
    assert got[17:33].count("bo") == 0 and got[33:41].count("bo") == 4  # next morning: no catch-up burst


def test_adding_or_removing_a_rep_resets_nobody():
    state = InMemoryState()
    two = team_config(rep("ana"), rep("bo", weight=2), pick="balanced")
    owners(two, leads(30), state)
    before = {r: state.rep(r).ledger.to_dict() for r in ("ana", "bo")}
    three = team_config(rep("ana"), rep("bo", weight=2), rep("cy"), pick="balanced")
    got = owners(three, leads(40, start=START + timedelta(hours=15), prefix="M"), state)
    assert [got[:4].count("cy"), got.count("cy")] == [1, 10]   # a quarter of the new leads, from the first
    assert Counter(got)["bo"] == 20 and Counter(got)["ana"] == 10
    after_removal = owners(two, leads(12, start=START + timedelta(hours=40), prefix="N"), state)
    assert Counter(after_removal) == {"bo": 8, "ana": 4}
    assert all(state.rep(r).ledger.to_dict() != before[r] for r in ("ana", "bo"))  # kept, and grown


def test_the_window_forgets_what_is_older_than_window_days():
    state = InMemoryState()
    cfg = team_config(rep("ana"), rep("bo", away=[{"from": "2026-11-02", "to": "2026-11-02"}]),
                      pick="balanced", rule_extra={"window_days": 2})
    owners(cfg, leads(10, every=timedelta(hours=1)), state)         # Monday: ana gets all 10
    assert state.rep("ana").ledger.deficit(0) == 0
    later = owners(cfg, leads(4, start=START + timedelta(days=3), prefix="M"), state)
    assert later == ["ana", "bo", "ana", "bo"]                     # Monday is out of the window


@pytest.mark.parametrize("catch_up", [0, 1, 3])
def test_catch_up_lets_a_capped_rep_make_up_at_most_n_leads_in_a_row(catch_up):
    cfg = team_config(rep("ana"), rep("bo"), rep("cy", hourly_cap=6), pick="balanced",
                      rule_extra={"catch_up": catch_up} if catch_up else None)
    busy = leads(36, every=timedelta(minutes=1))                   # cy is capped after 18
    calm = leads(9, start=START + timedelta(hours=1), every=timedelta(minutes=6), prefix="M")
    got = owners(cfg, busy + calm, InMemoryState())
    assert "".join(o[0] for o in got[:36]) == "abc" * 6 + "ab" * 9
    nxt = "".join(o[0] for o in got[36:])                           # the cap is free again
    if catch_up == 0:
        assert nxt == "abc" * 3                                   # no make-up: the plain turn
    else:                                                         # their turn and catch_up more, then plain
        assert nxt.startswith("c" * (catch_up + 1) + "a") and "cc" not in nxt[catch_up + 1:]


def test_the_trace_says_who_is_furthest_below_their_fair_share():
    cfg = load_config(team_config(rep("ana"), rep("bo"), pick="balanced"))
    state = InMemoryState()
    decisions = [d for _, d in simulate(leads(3), cfg, state)]
    assert decisions[2].explain()[-1] == \
        "balanced: ana is furthest below their fair share (1 leads, 1.5 owed in 7 days)"


def test_the_ledger_round_trips_through_the_state_json():
    cfg = load_config(team_config(rep("ana"), rep("bo"), pick="balanced"))
    state = InMemoryState()
    owners(cfg, leads(5), state)
    again = InMemoryState.from_json(state.to_json())
    assert [again.rep(r).ledger for r in ("ana", "bo")] == [state.rep(r).ledger for r in ("ana", "bo")]
    assert owners(cfg, leads(4, start=START + timedelta(hours=3), prefix="M"), again) == \
        owners(cfg, leads(4, start=START + timedelta(hours=3), prefix="M"), state)


@pytest.mark.parametrize("extra, path, message", [
    ({"pick": "round_robin", "catch_up": 2}, "rules[0].catch_up", "catch_up applies to pick: balanced only"),
    ({"pick": "round_robin", "window_days": 3}, "rules[0].window_days", "window_days applies"),
    ({"pick": "balanced", "window_days": 40}, "rules[0].window_days", "less than or equal to 31"),
    ({"pick": "balanced", "catch_up": -1}, "rules[0].catch_up", "greater than or equal to 0"),
])
def test_balanced_options_are_checked_at_load(extra, path, message):
    cfg = team_config("ana", "bo")
    cfg["rules"][0].update(extra)
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert any(i.path == path and message in i.message for i in err.value.errors), err.value.errors
