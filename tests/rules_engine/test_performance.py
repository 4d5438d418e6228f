"""top_performer smoothed toward the pool, its minimum sample, metric: speed, and the guardrail."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from engine_helpers import rep, route, team_config, utc

from rules_engine import ConfigError, InMemoryState, load_config, simulate


def stats(**reps):
    """rep id -> (won, closed) or {"first_touch": s, "touches": n}."""
    out = {}
    for rid, value in reps.items():
        out[rid] = value if isinstance(value, dict) else {"converted": value[0], "outcomes": value[1]}
    return InMemoryState.from_dict({"reps": out})


def top(state, *reps_, **rule_extra):
    cfg = team_config(*reps_, pick="top_performer", rule_extra=rule_extra or None)
    return route(cfg, state=state)


@pytest.mark.parametrize("min_sample", [0, 1, 10])
def test_two_of_two_does_not_beat_forty_of_fifty(min_sample):
    assert top(stats(lucky=(2, 2), steady=(40, 50)), "lucky", "steady", min_sample=min_sample).owner == "steady"
    assert top(stats(lucky=(2, 2), steady=(40, 50), weak=(5, 50)), "lucky", "steady", "weak",
               min_sample=min_sample).owner == "steady"


def test_losses_count_a_rep_who_wins_often_but_loses_more_ranks_lower():
    state = stats(ana=(20, 100), bo=(15, 20))   # ana has more wins, bo the better rate
    assert top(state, "ana", "bo").owner == "bo"


def test_below_the_minimum_sample_a_rep_gets_the_pool_rate():
    state = stats(fresh=(5, 5), proven=(30, 50))
    assert top(state, "fresh", "proven", min_sample=10).owner == "proven"   # 5 < 10: the pool's rate
    assert top(state, "fresh", "proven", min_sample=5).owner == "fresh"     # 5 of 5 counts now
    d = top(state, "fresh", "proven", min_sample=10)
    assert d.explain()[-1].startswith("top_performer: proven ranks first (at least ")
    assert d.explain()[-1].endswith("conversion (smoothed), 30/50 won)")


def test_with_no_outcomes_at_all_it_falls_back_to_least_loaded():
    state = InMemoryState.from_dict({"reps": {"ana": {"open": 4}, "bo": {"open": 1}}})
    assert top(state, "ana", "bo").owner == "bo"


def test_metric_speed_prefers_the_fastest_first_touch_with_enough_touched_leads():
    state = stats(quick={"first_touch": 300, "touches": 40}, slow={"first_touch": 3600, "touches": 40},
                  flash={"first_touch": 5, "touches": 2})
    d = top(state, "quick", "slow", "flash", metric="speed")
    assert d.owner == "quick"                        # flash: 2 touched leads, below min_sample
    assert "first touch in 5 min (median, smoothed), 40 touched" in d.explain()[-1]
    assert top(state, "quick", "slow", "flash", metric="speed", min_sample=2).owner == "flash"


def test_the_guardrail_keeps_the_best_rep_under_max_share_of_fair_share_and_nobody_starves():
    state = stats(star=(45, 50), ana=(10, 50), bo=(10, 50))
    cfg = load_config(team_config("star", "ana", "bo", pick="top_performer",
                                  rule_extra={"guardrail": {"max_share": 1.5}}))
    leads = [{"id": f"L{i}", "created_at": (utc(2026, 11, 2) + i * timedelta(minutes=10)).isoformat()}
             for i in range(60)]
    decisions = [d for _, d in simulate(leads, cfg, state)]
    got = Counter(d.owner for d in decisions)
    assert got["star"] == 31 and got["ana"] + got["bo"] == 29 and min(got["ana"], got["bo"]) >= 14
    blocked = [s for s in decisions[-1].trace if s.get("reason") == "guardrail"]
    assert blocked == [] or blocked[0]["text"].endswith("at the guardrail (1.5x)")


@pytest.mark.parametrize("extra, path, message", [
    ({"pick": "balanced", "min_sample": 3}, "rules[0].min_sample", "min_sample applies to pick: top_performer"),
    ({"pick": "round_robin", "metric": "speed"}, "rules[0].metric", "metric applies to pick: top_performer"),
    ({"pick": "top_performer", "metric": "fastest"}, "rules[0].metric", "Input should be"),
    ({"pick": "balanced", "guardrail": {"max_share": 2}}, "rules[0].guardrail", "balanced already keeps"),
    ({"pick": "top_performer", "guardrail": {"max_share": 0.5}}, "rules[0].guardrail.max_share",
     "greater than or equal to 1"),
    ({"pick": "top_performer", "guardrail": {}}, "rules[0].guardrail.max_share", "Field required"),
])
def test_performance_options_are_checked_at_load(extra, path, message):
    cfg = team_config(rep("ana"), rep("bo"))
    cfg["rules"][0].update(extra)
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert any(i.path == path and message in i.message for i in err.value.errors), err.value.errors
