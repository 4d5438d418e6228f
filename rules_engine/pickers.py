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
from dataclasses import dataclass, replace
from typing import Callable, Mapping, Protocol, Sequence

from .choices import CAP_SKIPS, Metric, Skip
from .decision import SKIP
from .eligibility import CRep, Ctx
from .ledger import Ledger, hour_of, window_start
from .performance import (DEFAULT_MIN_SAMPLE, DEFAULT_WINDOW_DAYS, SCORES, describe_score, over_guardrail,
                          window_days)
from .state import RepDelta, RepState

_EMPTY = RepState()


@dataclass(frozen=True, slots=True)
class Pick:
    rep: CRep
    why: str                                           # the trace's sentence for the pick
    rotation: Mapping[str, str] | None = None          # state key -> rep id to remember
    credits: Mapping[str, Mapping[str, int]] | None = None  # state key -> rep id -> credit
    owed: Mapping[str, float] | None = None            # rep id -> fair share of this lead (ledger.py)


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
    description = ("best conversion (or speed to first touch: metric), smoothed toward the pool and "
                   "ranked at its lower bound; below min_sample a rep gets the pool's; ties: least loaded")

    def __init__(self, min_sample: int = DEFAULT_MIN_SAMPLE, metric: str = Metric.CONVERSION) -> None:
        self.min_sample, self.metric = min_sample, metric

    def pick(self, key, cands, index, ctx, eligible):
        pool = [r for r in cands if eligible(r)]
        if not pool:
            return None
        stats = [ctx.state.rep(r.id) or _EMPTY for r in pool]
        scores = SCORES[self.metric](stats, self.min_sample)
        i = min(range(len(pool)), key=lambda k: (-round(scores[k], 12), *_load_key(pool[k], ctx.state)))
        why = f"top_performer: {pool[i].id} ranks first ({describe_score(self.metric, scores[i], stats[i])})"
        return Pick(pool[i], why)


def _ledger(ctx: Ctx, rep: CRep) -> Ledger:
    rs = ctx.state.rep(rep.id)
    return rs.ledger if rs is not None else Ledger()


class Balanced:
    name = "balanced"
    description = ("the eligible rep furthest below their fair share of the last window_days, fair share "
                   "counting only the time each rep was available (hours, away, days off, pauses)")

    def __init__(self, window: int = DEFAULT_WINDOW_DAYS, catch_up: int = 0) -> None:
        self.window, self.catch_up = window, catch_up

    def pick(self, key, cands, index, ctx, eligible):
        pool, blocked = [], []
        for rep in cands:
            if eligible(rep):
                pool.append(rep)
            elif self.catch_up and _skip_code(ctx, rep) in CAP_SKIPS:
                blocked.append(rep)  # there, but capped: owed their share, up to catch_up leads
        if not pool:
            return None
        since = window_start(ctx.epoch, self.window)
        books = {r.id: _ledger(ctx, r) for r in pool + blocked}
        # A capped rep is owed their share until they are catch_up leads ahead of the pool's most
        # owed rep: once free, they take their turn and at most catch_up more in a row.
        total = sum(r.weight for r in pool + blocked)
        top = max(books[r.id].deficit(since) for r in pool) + self.catch_up
        owed = {r.id: min(r.weight / total, max(0.0, top - books[r.id].deficit(since))) for r in blocked}
        rest, weight = 1.0 - sum(owed.values()), sum(r.weight for r in pool)
        owed.update({r.id: rest * r.weight / weight for r in pool})
        best = max(pool, key=lambda r: (round(books[r.id].deficit(since) + owed[r.id], 9), -index[r.id]))
        got, was_owed = books[best.id].window(since)
        why = (f"balanced: {best.id} is furthest below their fair share ({got:g} leads, "
               f"{was_owed + owed[best.id]:.1f} owed in {self.window} days)")
        return Pick(best, why, owed=owed)


class Guarded:
    """Any picker behind a guardrail: reps whose share of the window would pass ``max_share`` ×
    fair share are skipped; when every eligible rep is there, the one least over takes it."""

    def __init__(self, inner: Picker, max_share: float, window: int = DEFAULT_WINDOW_DAYS) -> None:
        self.inner, self.max_share, self.window = inner, max_share, window
        self.name, self.description = inner.name, inner.description

    def pick(self, key, cands, index, ctx, eligible):
        pool = [r for r in cands if eligible(r)]
        if not pool:
            return None
        since = window_start(ctx.epoch, self.window)
        total = sum(r.weight for r in pool)
        owed = {r.id: r.weight / total for r in pool}
        books = {r.id: _ledger(ctx, r).window(since) for r in pool}
        excess = {r.id: books[r.id][0] - self.max_share * (books[r.id][1] + owed[r.id]) for r in pool}
        under = {r.id for r in pool if not over_guardrail(books[r.id][0], books[r.id][1] + owed[r.id],
                                                         self.max_share)}
        for r in pool:
            if r.id not in under:
                got, fair = books[r.id][0], books[r.id][1] + owed[r.id]
                ctx.trace.append((SKIP, key, r.id, (Skip.GUARDRAIL, f"{r.id}: {got:g} leads of {fair:.1f} fair "
                                  f"in {self.window} days, at the guardrail ({self.max_share:g}x)")))
        note = ""
        if not under:
            under = {min(pool, key=lambda r: (excess[r.id], index[r.id])).id}
            note = "; every eligible rep is at the guardrail, the least over takes it"
        got = self.inner.pick(key, cands, index, ctx, lambda r: r.id in under)
        return replace(got, why=got.why + note, owed=owed)


def _skip_code(ctx: Ctx, rep: CRep):
    last = ctx.trace[-1] if ctx.trace else None
    return last[3][0] if last and last[0] == SKIP and last[2] == rep.id else None


def rep_changes(pick: Pick, delta: RepDelta, epoch: float) -> dict[str, RepDelta]:
    """The assigned rep's delta, plus the ledger's: every rep owed a share of this lead."""
    if not pick.owed:
        return {pick.rep.id: delta}
    hour = hour_of(epoch)
    out = {rid: RepDelta(ledger=(hour, 0, share)) for rid, share in pick.owed.items() if rid != pick.rep.id}
    out[pick.rep.id] = replace(delta, ledger=(hour, 1, pick.owed.get(pick.rep.id, 0.0)))
    return out


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


PICKERS: dict[str, Picker] = {p.name: p for p in (RoundRobin(), Weighted(), LeastLoaded(), TopPerformer(),
                                                   Balanced(), Random())}


def picker_for(rule) -> Picker:
    """The rule's picker, built with its options (``catch_up``, ``min_sample``, ``metric``,
    ``guardrail``, ``window_days``) when it has any."""
    picker = PICKERS[rule.pick]
    if rule.pick == Balanced.name:
        picker = Balanced(window_days(rule), rule.catch_up or 0)
    elif rule.pick == TopPerformer.name and (rule.min_sample is not None or rule.metric is not None):
        picker = TopPerformer(DEFAULT_MIN_SAMPLE if rule.min_sample is None else rule.min_sample,
                              rule.metric or Metric.CONVERSION)
    if rule.guardrail is not None:
        picker = Guarded(picker, rule.guardrail.max_share, window_days(rule))
    return picker
