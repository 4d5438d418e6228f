"""Routing state: applying changes, JSON round trips, outcomes; the vocabulary export."""
from __future__ import annotations

import json
from datetime import timedelta

from engine_helpers import team_config, utc

from rules_engine import (InMemoryState, Lead, StateChanges, decide, describe_vocabulary, load_config,
                          normalize_country, normalize_state)
from rules_engine.choices import LadderStep
from rules_engine.conditions import OPERATORS
from rules_engine.pickers import PICKERS


def test_state_changes_round_trip_through_json_and_apply_the_same():
    cfg = load_config(team_config("a", "b", pick="weighted"))
    d = decide(Lead(id="1"), cfg, InMemoryState(), utc(2026, 3, 4, 15))
    again = StateChanges.from_dict(json.loads(json.dumps(d.state_changes.to_dict())))
    s1, s2 = InMemoryState(), InMemoryState()
    s1.apply(d.state_changes)
    s2.apply(again)
    assert s1.to_dict() == s2.to_dict()
    assert s1.rep("a").open == 1 and s1.credits("r") == {"a": -1, "b": 1}


def test_in_memory_state_dumps_and_loads_json():
    state = InMemoryState.from_dict({"reps": {"ana": {"open": 5}}})
    state.apply(StateChanges.outcome("ana", converted=True))
    restored = InMemoryState.from_json(state.to_json())
    assert restored.to_dict() == state.to_dict()
    assert (restored.rep("ana").open, restored.rep("ana").converted, restored.rep("ana").outcomes) == (4, 1, 1)


def test_old_bucket_counts_are_pruned():
    state = InMemoryState()
    cfg = load_config(team_config("a"))
    for hour in range(24 * 20):
        at = utc(2026, 2, 1) + timedelta(hours=hour)
        state.apply(decide(Lead(id=str(hour)), cfg, state, at).state_changes)
    counts = state.rep("a").counts
    assert len(counts) <= 136
    assert {"d:2026-02-20", "h:2026-02-20T23+00:00", "w:2026-W08"} <= set(counts)
    assert "d:2026-02-01" not in counts and "h:2026-02-01T00+00:00" not in counts


def test_the_vocabulary_lists_every_operator_picker_and_requirement():
    vocab = json.loads(json.dumps(describe_vocabulary()))
    assert [o["name"] for o in vocab["operators"]] == list(OPERATORS)
    assert {p["name"] for p in vocab["pickers"]} == set(PICKERS)
    assert {r["name"] for r in vocab["requirements"]} == {"territory", "skills"}
    assert [o["name"] for o in vocab["on_empty"]] == ["next", "wait", "fallback"]
    between = next(o for o in vocab["operators"] if o["name"] == "between")
    assert between["arity"] == "range" and "number" in between["value_types"]
    assert {"name": "employees", "type": "number"} in vocab["fields"]
    assert vocab["statuses"][:3] == ["assigned", "waiting", "unroutable"]
    assert {"away", "outside_hours", "daily_cap", "territory"} <= set(vocab["skip_reasons"])
    assert vocab["rep_limits"] == ["max_open", "hourly_cap", "daily_cap", "weekly_cap"]
    assert {"name": "remind", "label": LadderStep.REMIND.label} in vocab["sla_ladder"]


def test_the_vocabulary_offers_account_matching_quality_and_holidays():
    vocab = json.loads(json.dumps(describe_vocabulary()))
    assert [a["name"] for a in vocab["assign"]] == ["account_owner", "existing_owner"]
    assert [m["name"] for m in vocab["match"]] == ["domain", "company"] and vocab["match_default"] == ["domain"]
    assert vocab["threshold"] == {"min": 50, "max": 100, "default": 88.0}
    checks = {c["name"]: c["default"] for c in vocab["quality"]["checks"]}
    assert checks == {"invalid_email": True, "disposable_email": True, "test_values": True, "invalid_phone": False}
    actions = [a.get("name") or a["pattern"] for a in vocab["quality"]["actions"]]
    assert actions == ["hold", "route", "rep:<id>", "team:<id>"]
    assert "junk" in vocab["statuses"] and "holiday" in vocab["skip_reasons"]
    germany = next(h for h in vocab["holidays"] if h["country"] == "DE")
    assert {"BY", "NI", "BE"} <= set(germany["subdivisions"])


def test_countries_and_states_are_normalized_with_pycountry():
    assert {normalize_country(x) for x in ("United States", "USA", "us", " U.S.A. ")} == {"US"}
    assert normalize_country("Brazil") == normalize_country("BRA") == "BR"
    assert normalize_country("Narnia") is None
    assert normalize_state("California", "US") == normalize_state("us-ca", "US") == "CA"
    assert normalize_state("São Paulo", "BR") == normalize_state("Sao Paulo", "BR") == "SP"
