"""Pickers choose one rep among a rule's candidates (registry: name -> picker).

A picker follows the ``Picker`` protocol: it gets the rule's state key, the candidates in team
order with their positions, the decision context and an ``eligible(rep)`` callback (which
records skipped reps in the trace), and returns a ``Pick`` or None when nobody is eligible.
It never mutates state: what it wants remembered goes in the Pick (rotation pointer, credits),
and ``decide`` returns that as the decision's state changes. A new picker is a class with
``name``, ``description`` and ``pick`` added to ``PICKERS``; the config's ``pick:`` and the
vocabulary read the registry.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol, Sequence

from .eligibility import CRep, Ctx
from .state import RepState

_EMPTY = RepState()
# top_performer shrinks each rep's rate toward the pool's rate with the weight of this many
# outcomes, so a rep with 1 win out of 1 does not outrank a rep with 40 out of 60.
PRIOR_OUTCOMES = 10


@dataclass(frozen=True, slots=True)
class Pick:
    rep: CRep
    why: str                                           # the trace's sentence for the pick
    rotation: Mapping[str, str] | None = None          # state key -> rep id to remember
    credits: Mapping[str, Mapping[str, int]] | None = None  # state key -> rep id -> credit


class Picker(Protocol):
    name: str
    description: str   # the settings page's label

    def pick(self, key: str, cands: Sequence[CRep], index: Mapping[str, int], ctx: Ctx,
             eligible: Callable[[CRep], bool]) -> Pick | None: ...


class RoundRobin:
    name = "round_robin"
    description = "the next eligible rep after the last one this rule assigned, wrapping"

    def pick(self, key: str, cands: Sequence[CRep], index: Mapping[str, int], ctx: Ctx,
             eligible: Callable[[CRep], bool]) -> Pick | None:
        # Lazy: only reps up to the first eligible one are checked (and appear in the trace).
        last = ctx.state.rotation(key)
        start = index.get(last, -1) + 1 if last is not None else 0
        n = len(cands)
        for k in range(n):
            rep = cands[(start + k) % n]
            if eligible(rep):
                why = f"round_robin: {rep.id} is next" + (f" after {last}" if last else "")
                return Pick(rep, why, rotation={key: rep.id})
        return None


class Weighted:
    name = "weighted"
    description = ("smooth weighted round robin: over N x sum(weights) leads each rep gets "
                   "exactly N x weight, interleaved")

    def pick(self, key, cands, index, ctx, eligible):
        # nginx's smooth weighted round robin: every eligible rep earns its weight, the pick is
        # the highest credit (first listed on ties), and it pays back the total eligible weight.
        pool = [r for r in cands if eligible(r)]
        if not pool:
            return None
        credits = ctx.state.credits(key)
        total = 0
        best, best_credit = None, None
        new = {}
        for rep in pool:
            c = credits.get(rep.id, 0) + rep.weight
            new[rep.id] = c
            total += rep.weight
            if best is None or c > best_credit:
                best, best_credit = rep, c
        new[best.id] -= total
        why = f"weighted: {best.id} has the highest credit ({best_credit}, weight {best.weight})"
        return Pick(best, why, credits={key: new})


def _load_key(rep: CRep, state) -> tuple:
    rs = state.rep(rep.id) or _EMPTY
    return (rs.open, rs.last_assigned if rs.last_assigned is not None else float("-inf"), rep.pos)


class LeastLoaded:
    name = "least_loaded"
    description = "fewest open leads; ties: least recently assigned, then list order"

    def pick(self, key, cands, index, ctx, eligible):
        pool = [r for r in cands if eligible(r)]
        if not pool:
            return None
        best = min(pool, key=lambda r: _load_key(r, ctx.state))
        rs = ctx.state.rep(best.id) or _EMPTY
        return Pick(best, f"least_loaded: {best.id} has the fewest open leads ({rs.open})")


class TopPerformer:
    name = "top_performer"
    description = (f"highest conversion rate from outcomes, smoothed toward the pool's rate "
                   f"({PRIOR_OUTCOMES} outcomes of prior); ties: least loaded")

    def pick(self, key, cands, index, ctx, eligible):
        pool = [r for r in cands if eligible(r)]
        if not pool:
            return None
        stats = [(r, ctx.state.rep(r.id) or _EMPTY) for r in pool]
        won = sum(s.converted for _, s in stats)
        seen = sum(s.outcomes for _, s in stats)
        prior = (won + 1) / (seen + 2)

        def rate(s: RepState) -> float:
            return (s.converted + PRIOR_OUTCOMES * prior) / (s.outcomes + PRIOR_OUTCOMES)

        best, bs = min(stats, key=lambda p: (-rate(p[1]), *_load_key(p[0], ctx.state)))
        why = (f"top_performer: {best.id} has the best smoothed conversion rate "
               f"({rate(bs):.0%}, {bs.converted}/{bs.outcomes} won)")
        return Pick(best, why)


class Random:
    name = "random"
    description = "uniform among eligible reps, seeded by config seed + rule + lead id (reproducible)"

    def pick(self, key, cands, index, ctx, eligible):
        pool = [r for r in cands if eligible(r)]
        if not pool:
            return None
        lead = ctx.lead
        ident = lead.id or f"{lead.email}|{lead.created_at}"
        digest = hashlib.blake2b(f"{ctx.memo.get('seed', 0)}|{key}|{ident}".encode(), digest_size=8).digest()
        rep = pool[int.from_bytes(digest, "big") % len(pool)]
        return Pick(rep, f"random: {rep.id} drawn among {len(pool)} eligible reps")


PICKERS: dict[str, Picker] = {p.name: p for p in (RoundRobin(), Weighted(), LeastLoaded(), TopPerformer(), Random())}
