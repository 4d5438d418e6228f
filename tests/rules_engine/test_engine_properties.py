"""Property-based checks (hypothesis, modest example counts to keep the suite fast)."""
from __future__ import annotations

from collections import Counter

from engine_helpers import rep, team_config, utc
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine import InMemoryState, Lead, decide, load_config

FAST = settings(max_examples=40, deadline=None)


@FAST
@given(k=st.integers(1, 8), blocked=st.sets(st.integers(0, 11), max_size=4), n=st.integers(1, 60),
       start=st.integers(0, 11))
def test_round_robin_never_lets_eligible_reps_counts_differ_by_more_than_one(k, blocked, n, start):
    names = [f"r{i}" for i in range(k + len(blocked))]
    reps = [rep(name, paused=True) if i in blocked else rep(name) for i, name in enumerate(names)]
    eligible = [r["id"] for r in reps if not r.get("paused")]
    cfg = load_config(team_config(*reps))
    state = InMemoryState.from_dict({"rotation": {"r": names[start % len(names)]}})
    counts = Counter({name: 0 for name in eligible})
    for i in range(n):
        d = decide(Lead(id=str(i)), cfg, state, utc(2026, 3, 4, 15))
        state.apply(d.state_changes)
        counts[d.owner] += 1
        assert max(counts.values()) - min(counts.values()) <= 1


@FAST
@given(weights=st.lists(st.integers(1, 5), min_size=1, max_size=5), cycles=st.integers(1, 3))
def test_weighted_gives_each_rep_exactly_n_times_its_weight(weights, cycles):
    reps = [rep(f"r{i}", weight=w) for i, w in enumerate(weights)]
    cfg = load_config(team_config(*reps, pick="weighted"))
    state = InMemoryState()
    counts = Counter()
    for i in range(cycles * sum(weights)):
        d = decide(Lead(id=str(i)), cfg, state, utc(2026, 3, 4, 15))
        state.apply(d.state_changes)
        counts[d.owner] += 1
    assert counts == {f"r{i}": cycles * w for i, w in enumerate(weights)}


lead_strategy = st.fixed_dictionaries({"id": st.text(min_size=1, max_size=5)}, optional={
    "industry": st.sampled_from(["Aerospace", "Defense", "Retail", " aerospace "]),
    "employees": st.integers(0, 10_000), "country": st.sampled_from(["US", "United States", "BR", "DE", "Spain"]),
    "state": st.sampled_from(["CA", "California", "NY"]), "email": st.sampled_from(["a@acme.com", "b@x.io"]),
    "score": st.integers(0, 100)})


@FAST
@given(lead=lead_strategy, minute=st.integers(0, 60 * 24 * 14), opens=st.lists(st.integers(0, 45), min_size=3, max_size=3))
def test_decisions_are_deterministic(example_config_text_cached, lead, minute, opens):
    from datetime import timedelta
    cfg = example_config_text_cached
    now = utc(2026, 12, 14) + timedelta(minutes=minute)
    state = InMemoryState.from_dict({"reps": dict(zip(("ana", "bruno", "carla"), ({"open": o} for o in opens)))})
    first = decide(Lead.from_dict(lead), cfg, state, now)
    second = decide(Lead.from_dict(dict(lead)), cfg, state, now)
    assert first.to_dict() == second.to_dict()
    assert first.state_changes == second.state_changes
