"""Random availability for the fairness property tests: reps with random weights, working
hours, days away and pauses, and leads at random moments of one window (a Monday to Saturday)."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from engine_helpers import team_config, utc
from hypothesis import strategies as st

from rules_engine import InMemoryState, load_config, simulate
from rules_engine.fairness import lead_shares

MONDAY = utc(2026, 11, 2)
SPAN_MINUTES = 6 * 24 * 60


@st.composite
def rep_specs(draw, max_reps=5):
    n = draw(st.integers(2, max_reps))
    reps = []
    for i in range(n):
        spec = {"id": f"r{i}", "weight": draw(st.integers(1, 3))}
        if draw(st.booleans()):
            start = draw(st.integers(0, 20))
            spec["hours"] = {"mon-sun": f"{start:02d}:00-{min(start + draw(st.integers(2, 12)), 24):02d}:00"}
        if draw(st.integers(0, 3)) == 0:
            first = draw(st.integers(2, 7))
            last = min(first + draw(st.integers(0, 2)), 7)
            spec["away"] = [{"from": f"2026-11-{first:02d}", "to": f"2026-11-{last:02d}"}]
        reps.append(spec)
    return reps


@st.composite
def scenarios(draw, max_leads=60):
    """(reps, lead minutes since MONDAY, phases): each phase a (first lead index, paused rep ids)."""
    reps = draw(rep_specs())
    minutes = sorted(draw(st.lists(st.integers(0, SPAN_MINUTES - 1), min_size=1, max_size=max_leads)))
    ids = [r["id"] for r in reps]
    # A pause starts between two leads, never between two of the same instant (its history could
    # not say which of them it came before).
    starts = [i for i in range(1, len(minutes)) if minutes[i] > minutes[i - 1]]
    inner = draw(st.sets(st.sampled_from(starts), max_size=2)) if starts else set()
    cuts = sorted(inner | {0})
    phases = [(cut, draw(st.sets(st.sampled_from(ids), max_size=len(ids) - 1))) for cut in cuts]
    return reps, minutes, phases


def replay(reps, minutes, phases, pick="top_performer", rule_extra=None, state=None):
    """Route the leads through the engine, the config's ``paused`` changing with each phase (as
    a manager pausing and un-pausing reps does); yields (index, decision, fair shares so far,
    counts so far), fair shares from ``lead_shares`` with the same pauses as history."""
    state = state if state is not None else InMemoryState()
    base = load_config(team_config(*reps, pick=pick, rule_extra=rule_extra))
    times = [MONDAY + timedelta(minutes=m) for m in minutes]
    bounds = [cut for cut, _ in phases] + [len(times)]
    history: dict[str, list] = {}
    counts: Counter = Counter()
    for (cut, paused), end in zip(phases, bounds[1:]):
        cfg = load_config(team_config(*[{**r, "paused": r["id"] in paused} for r in reps], pick=pick,
                                      rule_extra=rule_extra))
        stop = times[end] if end < len(times) else times[-1] + timedelta(minutes=1)
        for rid in paused:
            history.setdefault(rid, []).append((times[cut], stop))
        leads = [{"id": f"L{i}", "created_at": times[i].isoformat()} for i in range(cut, end)]
        for i, (_, decision) in enumerate(simulate(leads, cfg, state), cut):
            if decision.owner:
                counts[decision.owner] += 1
            fair = lead_shares(base, [(t, "r") for t in times[:i + 1]], paused=history)
            yield i, decision, fair, counts, state
