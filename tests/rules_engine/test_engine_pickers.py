"""Pickers: round robin, weighted, least loaded, top performer, random."""
from __future__ import annotations

from collections import Counter

from engine_helpers import config, rep, route, run_many, team_config, utc

from rules_engine import InMemoryState, Lead, decide, describe_vocabulary, load_config
from rules_engine.pickers import PICKERS, Pick


def test_round_robin_wraps_and_skips_ineligible_reps():
    cfg = team_config("a", "b", rep("c", paused=True), "d")
    assert run_many(cfg, 7) == ["a", "b", "d", "a", "b", "d", "a"]


def test_round_robin_resumes_after_the_last_rep_this_rule_assigned():
    cfg = load_config(team_config("a", "b", "c", "d"))
    state = InMemoryState.from_dict({"rotation": {"r": "c"}})
    assert run_many(cfg, 3, state=state) == ["d", "a", "b"]


def test_round_robin_wraps_past_skipped_reps_at_the_end_of_the_list():
    cfg = team_config("a", "b", rep("c", active=False), rep("d", paused=True))
    state = InMemoryState.from_dict({"rotation": {"r": "b"}})
    d = route(cfg, state=state)
    assert d.owner == "a"
    assert d.explain()[-3:] == ["c: inactive", "d: paused", "round_robin: a is next after b"]


def test_round_robin_pointer_is_per_rule():
    reps = [rep("a"), rep("b"), rep("c")]
    teams = [{"id": "t", "members": ["a", "b", "c"]}]
    rules = [{"name": "big", "when": {"field": "employees", "op": "gte", "value": 100}, "to": "team:t"},
             {"name": "small", "to": "team:t"}]
    cfg = load_config(config(reps, rules, teams=teams))
    state = InMemoryState()
    owners = []
    for i, employees in enumerate([500, 5, 500, 5, 5]):
        d = decide(Lead.from_dict({"id": str(i), "employees": employees}), cfg, state, utc(2026, 3, 4, 15))
        state.apply(d.state_changes)
        owners.append((d.rule, d.owner))
    assert owners == [("big", "a"), ("small", "a"), ("big", "b"), ("small", "b"), ("small", "c")]


def test_a_pointer_to_a_removed_rep_restarts_at_the_top():
    state = InMemoryState.from_dict({"rotation": {"r": "ghost"}})
    assert route(team_config("a", "b"), state=state).owner == "a"


def test_weighted_is_smooth_and_interleaved():
    cfg = team_config(rep("a", weight=5), "b", "c", pick="weighted")
    assert run_many(cfg, 7) == ["a", "a", "b", "a", "c", "a", "a"]


def test_weighted_gives_exact_proportions_over_whole_cycles():
    cfg = team_config(rep("a", weight=3), rep("b", weight=2), "c", pick="weighted")
    counts = Counter(run_many(cfg, 4 * 6))
    assert counts == {"a": 12, "b": 8, "c": 4}


def test_weighted_proportions_hold_from_any_starting_point():
    cfg = team_config(rep("a", weight=2), "b", pick="weighted")
    owners = run_many(cfg, 3 * 10)
    for start in range(0, 12):
        window = Counter(owners[start:start + 9])
        assert window == {"a": 6, "b": 3}, (start, window)


def test_least_loaded_prefers_fewest_open_then_least_recently_assigned():
    state = InMemoryState.from_dict({"reps": {
        "a": {"open": 3}, "b": {"open": 1, "last_assigned": "2026-03-04T10:00:00Z"},
        "c": {"open": 1, "last_assigned": "2026-03-04T09:00:00Z"}}})
    d = route(team_config("a", "b", "c", pick="least_loaded"), state=state)
    assert d.owner == "c"
    assert d.explain()[-1] == "least_loaded: c has the fewest open leads (1)"


def test_least_loaded_ties_go_to_list_order():
    assert route(team_config("x", "y", pick="least_loaded")).owner == "x"


def test_least_loaded_ties_rotate_within_a_batch_decided_at_one_instant():
    # A worker decides a whole batch with one `now`; loads even out again between batches (leads
    # closed). Ties must rotate across batches, not fall to list order every time.
    cfg = load_config(team_config("a", "b", "c", pick="least_loaded"))
    state, got = InMemoryState(), {"a": 0, "b": 0, "c": 0}
    for batch in range(3):
        now = utc(2026, 3, 4, 15, batch)
        for n in range(4):
            decision = decide(Lead.from_dict({"id": f"L{batch}-{n}"}), cfg, state, now)
            state.apply(decision.state_changes)
            got[decision.owner] += 1
        for rs in state.reps.values():
            rs.open = 0  # the batch's leads were worked and closed
    assert got == {"a": 4, "b": 4, "c": 4}


def test_top_performer_uses_smoothed_conversion_so_one_lucky_win_does_not_win():
    state = InMemoryState.from_dict({"reps": {"lucky": {"converted": 1, "outcomes": 1},
                                              "steady": {"converted": 40, "outcomes": 60},
                                              "weak": {"converted": 5, "outcomes": 60}}})
    assert route(team_config("lucky", "steady", "weak", pick="top_performer"), state=state).owner == "steady"


def test_top_performer_ties_go_to_the_least_loaded():
    state = InMemoryState.from_dict({"reps": {"a": {"open": 5}, "b": {"open": 2}}})
    assert route(team_config("a", "b", pick="top_performer"), state=state).owner == "b"


def test_random_is_seeded_and_reproducible():
    cfg = load_config(team_config(*[f"r{i}" for i in range(6)], pick="random", seed=42))
    picks = [route(cfg, {"id": f"L{i}"}).owner for i in range(60)]
    assert picks == [route(cfg, {"id": f"L{i}"}).owner for i in range(60)]
    assert len(set(picks)) == 6
    other = load_config(team_config(*[f"r{i}" for i in range(6)], pick="random", seed=43))
    assert picks != [route(other, {"id": f"L{i}"}).owner for i in range(60)]


class LastListed:
    """A picker written against the Picker protocol: the last eligible rep in list order."""
    name = "last_listed"
    description = "the last eligible rep in list order"

    def pick(self, key, cands, index, ctx, eligible):
        pool = [r for r in cands if eligible(r)]
        return Pick(pool[-1], f"last_listed: {pool[-1].id}", rotation={key: pool[-1].id}) if pool else None


def test_a_picker_added_to_the_registry_is_validated_offered_and_used(monkeypatch):
    monkeypatch.setitem(PICKERS, "last_listed", LastListed())
    d = route(team_config("a", "b", rep("c", paused=True), pick="last_listed"))
    assert d.owner == "b"
    assert d.state_changes.rotation == {"r": "b"}
    assert d.explain()[-2:] == ["c: paused", "last_listed: b"]
    assert {"name": "last_listed", "label": "the last eligible rep in list order"} in describe_vocabulary()["pickers"]


def test_a_skip_reason_in_the_trace_is_a_plain_string():
    d = route(team_config(rep("a", paused=True), "b"))
    skipped = next(step for step in d.trace if step["step"] == "candidate")
    assert skipped["reason"] == "paused" and type(skipped["reason"]) is str
