"""The engine at a large org's size: 200 rules x 2,000 reps (the engine benchmark's generated
config, ten times larger), decisions per second on one core with state applied between leads.

    main() -> dict       part of `python app.py bench engine` (key "large")
"""
from __future__ import annotations

import time

import yaml

from bench.engine import _measure, build_config, build_leads
from rules_engine import InMemoryState, decide, load_config


def main(n_rules: int = 200, n_reps: int = 2000, n_leads: int = 3000) -> dict:
    raw = build_config(n_reps=n_reps, n_rules=n_rules)
    started = time.perf_counter()
    config = load_config(yaml.safe_dump(raw))   # parse, validate, compile: once per config version
    compile_s = time.perf_counter() - started
    leads = build_leads(n_leads)
    state = InMemoryState()

    def route(lead) -> None:
        state.apply(decide(lead, config, state, lead.created_at, crm="salesforce").state_changes)

    _measure(leads[:200], route)   # warm-up
    figures = _measure(leads, route)
    return {"rules": len(raw["rules"]), "reps": len(raw["reps"]), "leads": figures["leads"],
            "decisions_per_s": figures["decisions_per_s"], "p50_us": figures["p50_us"], "p99_us": figures["p99_us"],
            "config_load_s": round(compile_s, 2)}
