"""Performance routing and its guardrail: the rule keys of ``balanced`` and ``top_performer``
(validated here, so every problem is reported at load with its path), the smoothed scores
``top_performer`` ranks by, and the guardrail's bound.

Scores are smoothed toward the pool (the rule's eligible reps together), so a rep with 2 wins
out of 2 does not outrank one with 40 out of 50: a rep's rate counts ``PRIOR`` outcomes at the
pool's rate on top of their own, below ``min_sample`` outcomes a rep gets the pool's, and
conversion is ranked at its lower bound (a short record is an uncertain one).
"""
from __future__ import annotations

from math import sqrt
from statistics import median
from typing import Sequence

from pydantic import Field

from .base import Model
from .choices import Metric
from .errors import ConfigIssue
from .ledger import MAX_WINDOW_DAYS

DEFAULT_WINDOW_DAYS = 7
DEFAULT_MIN_SAMPLE = 10
PRIOR = 10          # outcomes (or touched leads) at the pool's figure added to each rep's own

# Which rule keys go with which picker (the guardrail goes with any picker but balanced; its
# window_days with it). The vocabulary exports this table.
PICKER_OPTIONS = {"catch_up": ("balanced",), "min_sample": ("top_performer",), "metric": ("top_performer",),
                  "window_days": ("balanced", "guardrail")}
_ONLY_WITH = {k: v for k, v in PICKER_OPTIONS.items() if k != "window_days"}


class Guardrail(Model):
    """No rep's share of the rule's leads in the window exceeds ``max_share`` × their fair share
    (give or take the one lead being decided)."""
    max_share: float = Field(ge=1, le=100)


def option_issues(rule: dict, path: str, issues: list[ConfigIssue]) -> None:
    """Keys that only make sense with another picker (checked where pydantic cannot)."""
    pick = rule.get("pick", "round_robin")
    for key, pickers in _ONLY_WITH.items():
        if key in rule and pick not in pickers:
            issues.append(ConfigIssue(f"{path}.{key}", f"{key} applies to pick: {' or '.join(pickers)} only"))
    if "guardrail" in rule and pick == "balanced":
        issues.append(ConfigIssue(f"{path}.guardrail", "balanced already keeps every rep at their fair share"))
    if "window_days" in rule and pick != "balanced" and "guardrail" not in rule:
        issues.append(ConfigIssue(f"{path}.window_days", "window_days applies to pick: balanced or a guardrail"))
    if rule.get("assign") is not None:
        for key in ("guardrail", "window_days", *_ONLY_WITH):
            if key in rule:
                issues.append(ConfigIssue(f"{path}.{key}", f"{key} applies to rules with `to`, not assign"))


def window_days(rule) -> int:
    return min(rule.window_days or DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS)


# --- top_performer's scores --------------------------------------------------------------------

def conversion_scores(stats: Sequence, min_sample: int) -> list[float]:
    """Each rep's conversion, smoothed toward the pool's and taken at its lower bound (one
    standard error, Wilson), so a short record does not outrank a long one by luck; higher is
    better. ``stats``: RepState-like values."""
    won = sum(s.converted for s in stats)
    closed = sum(s.outcomes for s in stats)
    pool = won / closed if closed else 0.0
    out = []
    for s in stats:
        own = s.outcomes >= max(min_sample, 1)
        out.append(wilson_lower((s.converted if own else 0) + PRIOR * pool, (s.outcomes if own else 0) + PRIOR))
    return out


def wilson_lower(hits: float, n: float, z: float = 1.0) -> float:
    if n <= 0:
        return 0.0
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def speed_scores(stats: Sequence, min_sample: int) -> list[float]:
    """Each rep's smoothed median seconds to first touch, negated (higher is better)."""
    known = [s.first_touch for s in stats if s.touches and s.first_touch is not None]
    pool = median(known) if known else 0.0
    return [-(pool if s.touches < max(min_sample, 1) or s.first_touch is None
              else (s.touches * s.first_touch + PRIOR * pool) / (s.touches + PRIOR))
            for s in stats]


SCORES = {Metric.CONVERSION: conversion_scores, Metric.SPEED: speed_scores}


def describe_score(metric: str, score: float, state) -> str:
    if metric == Metric.SPEED:
        return f"first touch in {-score / 60:.0f} min (median, smoothed), {state.touches} touched"
    return f"at least {score:.0%} conversion (smoothed), {state.converted}/{state.outcomes} won"


# --- the guardrail ----------------------------------------------------------------------------

def over_guardrail(assigned: float, owed: float, max_share: float) -> bool:
    """Taking one more lead would put the rep above ``max_share`` × fair share + that lead.
    ``owed`` includes their share of the lead being decided."""
    return assigned > max_share * owed + 1e-9
