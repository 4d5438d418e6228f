"""Benchmark of the rules engine: 20 rules x 200 reps, compiled engine vs a naive baseline.

    python -m bench.engine            prints one JSON line
    main() -> dict                    used by `python app.py bench engine`

Figures are per decision on one core: ``decide()`` with its state changes applied between
leads (as ``simulate`` does). ``account_matching``: the same with the first rule matching
50,000 CRM accounts by domain and company name (bench/accounts.py). ``with_trace`` also renders
the full trace to dicts and sentences, as the connector does before storing a decision. ``naive`` re-parses and
re-validates the YAML config and re-scans every rep's eligibility for every lead.
"""
from __future__ import annotations

import json
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

import yaml

from rules_engine import InMemoryState, Lead, decide, load_config
from rules_engine.eligibility import Ctx, base_reason

ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo", "Europe/Madrid"]
INDUSTRIES = ["Aerospace", "Defense", "Software", "Retail", "Healthcare", "Finance", "Education", "Energy"]
SKILLS = ["aerospace", "defense", "software", "retail", "healthcare", "finance", "spanish", "german"]
STATES = ["CA", "OR", "WA", "NY", "TX", "FL", "IL", "MA"]
PICKS = ["round_robin", "weighted", "least_loaded", "top_performer", "random"]


def build_config(n_reps: int = 200, n_rules: int = 20, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    reps = []
    for i in range(n_reps):
        rep = {"id": f"rep{i:03d}", "name": f"Rep {i}", "timezone": ZONES[i % len(ZONES)],
               "crm": {"salesforce": f"005{i:012d}", "hubspot": str(1000 + i)},
               "weight": 1 + i % 3, "skills": rnd.sample(SKILLS, 3),
               "territories": [{"country": "US", "state": rnd.sample(STATES, 3)}, {"country": "BR"}]}
        if i % 2:
            rep["hours"] = {"mon-fri": "08:00-20:00", "sat": "10:00-14:00"}
        if i % 5 == 0:
            rep.update(max_open=400, daily_cap=60, hourly_cap=20, weekly_cap=250)
        if i % 37 == 0:
            rep["away"] = [{"from": "2026-03-01", "to": "2026-03-20"}]
        if i % 53 == 0:
            rep["paused"] = True
        reps.append(rep)
    teams = [{"id": f"team{t}", "members": [f"rep{i:03d}" for i in range(t * 20, t * 20 + 20)]}
             for t in range(n_reps // 20)]
    teams.append({"id": "everyone", "members": [r["id"] for r in reps]})
    rules: list[dict] = [{"name": "existing-customer", "assign": "account_owner"}]
    for k in range(n_rules - 2):
        ind = INDUSTRIES[k % len(INDUSTRIES)]
        cond = {"all": [{"field": "industry", "op": "eq", "value": ind},
                        {"field": "employees", "op": "gte", "value": 50 * (k % 4)},
                        {"any": [{"field": "country", "op": "in", "value": ["United States", "Brazil"]},
                                 {"field": "email", "op": "matches", "value": r"^[a-z]+\.[a-z]+@"}]},
                        {"not": {"field": "source", "op": "eq", "value": f"spam{k}"}}]}
        rule = {"name": f"rule-{k:02d}", "when": cond, "to": f"team:team{k % 10}", "pick": PICKS[k % len(PICKS)]}
        if k % 3 == 0:
            rule["require"] = ["territory"]
        if k % 4 == 1:
            rule["require"] = [{"skills": ["field:industry"]}]
        rules.append(rule)
    rules.append({"name": "everyone-else", "to": "team:everyone", "pick": "round_robin", "on_empty": "fallback"})
    accounts = [{"domain": f"customer{i}.com", "owner": f"rep{i * 7 % n_reps:03d}"} for i in range(300)]
    return {"version": 1, "timezone": "America/New_York", "reps": reps, "teams": teams,
            "accounts": accounts, "rules": rules, "fallback": "rep:rep001"}


def build_leads(n: int, seed: int = 11) -> list[Lead]:
    rnd = random.Random(seed)
    start = datetime(2026, 3, 2, 11, 0, tzinfo=timezone.utc)  # a Monday
    leads = []
    for i in range(n):
        domain = f"customer{rnd.randrange(3000)}.com"  # ~10% are known accounts
        leads.append(Lead.from_dict({
            "id": f"L{i}", "email": f"first.last{i}@{domain}", "company": f"Company {i}",
            "industry": rnd.choice(INDUSTRIES + ["Other"]), "employees": rnd.choice([5, 60, 120, 800, 5000]),
            "country": rnd.choice(["US", "USA", "United States", "Brazil", "Germany"]),
            "state": rnd.choice(STATES), "source": rnd.choice(["web", "event", "spam3"]),
            "score": rnd.randrange(100), "created_at": (start + timedelta(seconds=37 * i)).isoformat()}))
    return leads


def _measure(leads, route, budget_s: float | None = None) -> dict:
    samples = []
    clock = time.perf_counter_ns
    t0 = clock()
    for lead in leads:
        a = clock()
        route(lead)
        samples.append(clock() - a)
        if budget_s is not None and (clock() - t0) / 1e9 > budget_s and len(samples) >= 20:
            break  # the naive baseline is slow: a time budget keeps the whole run short
    total = (clock() - t0) / 1e9
    samples.sort()
    return {"decisions_per_s": round(len(samples) / (sum(samples) / 1e9)),
            "p50_us": round(samples[len(samples) // 2] / 1000, 1),
            "p99_us": round(samples[int(len(samples) * 0.99) - 1] / 1000, 1),
            "mean_us": round(statistics.fmean(samples) / 1000, 1), "leads": len(samples),
            "wall_s": round(total, 3)}


def main(n_leads: int = 20000, n_naive: int = 300, naive_budget_s: float = 4.0, n_accounts: int = 50_000) -> dict:
    raw = build_config()
    text = yaml.safe_dump(raw)
    config = load_config(text)
    leads = build_leads(n_leads)
    statuses: dict[str, int] = {}

    def run(render: bool):
        state = InMemoryState()

        def route(lead):
            d = decide(lead, config, state, lead.created_at, crm="salesforce")
            if render:
                d.trace  # noqa: B018 - rendering is part of what is measured
            state.apply(d.state_changes)
            statuses[d.status.value] = statuses.get(d.status.value, 0) + 1
        return route

    _measure(leads[:1000], run(False))  # warm-up: caches, pycountry tables
    fast = _measure(leads, run(False))
    statuses.clear()
    traced = _measure(leads, run(True))

    naive_state = InMemoryState()

    def naive(lead):
        cfg = load_config(text)  # re-parse, re-validate, re-compile
        cc = cfg.compiled
        ctx = Ctx(lead.created_at, naive_state, frozenset(), "salesforce", lead)
        for rep in cc.reps:      # re-scan every rep
            base_reason(rep, ctx)
        d = decide(lead, cfg, naive_state, lead.created_at, crm="salesforce")
        d.trace  # noqa: B018
        naive_state.apply(d.state_changes)

    slow = _measure(leads[:n_naive], naive, naive_budget_s)
    from bench import accounts  # here, not at the top: bench.accounts builds on this module
    return {"decisions_per_s": fast["decisions_per_s"], "p99_us": fast["p99_us"],
            "p50_us": fast["p50_us"], "with_trace": {k: traced[k] for k in ("decisions_per_s", "p50_us", "p99_us")},
            "naive": {k: slow[k] for k in ("decisions_per_s", "p50_us", "p99_us", "leads")},
            "speedup": round(fast["decisions_per_s"] / max(slow["decisions_per_s"], 1), 1),
            "rules": len(raw["rules"]), "reps": len(raw["reps"]), "leads": n_leads,
            "statuses": dict(sorted(statuses.items())),
            "account_matching": accounts.main(n_accounts=n_accounts, n_leads=n_leads)}


if __name__ == "__main__":
    print(json.dumps(main()))
