"""The arithmetic behind the figures, pure: quantiles, the Wilson interval, fairness.

Quantiles interpolate linearly between the closest ranks (the median of 1, 2, 3, 10 is 2.5,
its p90 is 7.9): the "linear" method of numpy and spreadsheets' PERCENTILE.INC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

Z95 = 1.959963984540054   # the standard normal's 97.5th percentile: a two-sided 95 % interval


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Rate:
    """``hits`` of ``n`` with its 95 % Wilson score interval (sound for small n and for 0 or n hits)."""

    hits: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        if not self.n:
            return None
        p, n, z2 = self.hits / self.n, self.n, Z95 * Z95
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def as_dict(self) -> dict[str, float | int | None]:
        low, high = self.interval or (None, None)
        return {"count": self.hits, "of": self.n, "rate": _round(self.rate), "low": _round(low), "high": _round(high)}


@dataclass(frozen=True)
class RepShare:
    rep: str
    leads: int
    share: float          # of the group's leads
    fair_share: float     # weight × hours available, normalised over the group
    expected: float       # fair_share × the group's leads
    deviation: float      # leads − expected


@dataclass(frozen=True)
class Fairness:
    reps: tuple[RepShare, ...]
    spread: float         # largest minus smallest deviation, in leads
    gini: float           # of leads relative to fair share (0: everyone exactly at fair share)

    def as_dict(self) -> dict:
        return {"spread": round(self.spread, 2), "gini": round(self.gini, 4),
                "reps": [{"rep": r.rep, "leads": r.leads, "share": round(r.share, 4), "fair_share": round(r.fair_share, 4),
                          "expected": round(r.expected, 2), "deviation": round(r.deviation, 2)} for r in self.reps]}


def fairness(leads: Mapping[str, int], fair: Mapping[str, float]) -> Fairness | None:
    """Each rep's share of ``leads`` against their ``fair`` share (any non-negative weights,
    normalised here; reps with no fair share and no leads are left out). The Gini coefficient
    is taken over leads ÷ fair share, so a team whose weights differ is still 0 when fair."""
    reps = sorted(r for r in set(leads) | set(fair) if leads.get(r, 0) or fair.get(r, 0) > 0)
    total, weight = sum(leads.get(r, 0) for r in reps), sum(max(0.0, fair.get(r, 0.0)) for r in reps)
    if not reps or not total or weight <= 0:
        return None
    shares = []
    for rep in reps:
        fair_share = max(0.0, fair.get(rep, 0.0)) / weight
        got = leads.get(rep, 0)
        shares.append(RepShare(rep, got, got / total, fair_share, fair_share * total, got - fair_share * total))
    deviations = [s.deviation for s in shares]
    ratios = [s.leads / s.expected for s in shares if s.expected > 0]
    return Fairness(tuple(shares), max(deviations) - min(deviations), gini(ratios))


def gini(values: Sequence[float]) -> float:
    """The Gini coefficient: mean absolute difference of all pairs over twice the mean."""
    if not values or not any(values):
        return 0.0
    n, mean = len(values), sum(values) / len(values)
    return sum(abs(a - b) for a in values for b in values) / (2 * n * n * mean)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
