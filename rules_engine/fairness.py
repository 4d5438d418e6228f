"""Fair share: what each rep is owed of the leads of a window, counting only the time they were
available. Pure: the connector passes the pause history; nothing here reads a clock.

A rep is *available* while inside their working hours (in their time zone; no ``hours``: all
day), not ``away``, not on a day off or public holiday (``holidays``) and not paused. Pauses are
history the config does not hold (a manager's or the SLA loop's pause, kept in the audit log):
pass them as ``paused = {rep id: [(start, end or None), ...]}``. The config's own ``active`` /
``paused`` flags describe today, not the window, and are left to the caller (``reps=``). Caps and
open load are *not* unavailability: a capped rep was there, their share is simply capped.

Two readings of one idea, both here so the dashboard and the engine agree:

- **hours**: ``fair_shares(config, start, end, leads=N)``: a rep's fair share is their weight ×
  hours available in the window, as a fraction of the pool's total; × N is their fair number of
  the window's N leads. What a manager reads ("ana: 31 h available, fair share 12.4 of 40").
- **lead clock**: ``lead_shares(config, moments)``: each lead is one unit, split by weight among
  the reps of its pool who were available at the moment it arrived. With leads arriving at a
  steady rate it equals the hours reading; it is what the ``balanced`` picker keeps in its
  ledger, because a rep available at 3 am, when no lead arrives, is owed nothing for it, and a
  rep back from two weeks off is owed a share of each lead from the day they return, not of the
  leads they missed.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Iterable, Mapping, Sequence

from .eligibility import CRep

Interval = tuple[float, float]                       # [start, end) in epoch seconds
PauseHistory = Mapping[str, Sequence[tuple[datetime, datetime | None]]]
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class FairShare:
    rep: str
    weight: int
    hours: float        # hours available in the window
    share: float        # weight × hours / the pool's total (0 when nobody was available)
    leads: float        # share × the window's leads: the rep's fair number of them


def available_intervals(rep: CRep, start: float, end: float, paused: Sequence[Interval] = ()) -> list[Interval]:
    """The rep's available time in [start, end) (epoch seconds), sorted and disjoint."""
    if end <= start:
        return []
    day = datetime.fromtimestamp(start, rep.tz).date() - _DAY  # a night range may start the day before
    last = datetime.fromtimestamp(end, rep.tz).date()
    spans: list[Interval] = []
    while day <= last:
        if rep.days_off is None or rep.days_off.reason(day) is None:
            for lo, hi in (rep.hours[day.weekday()] if rep.hours is not None else ((0, 1440),)):
                spans.append((_local(day, lo, rep.tz), _local(day, hi, rep.tz)))
        day += _DAY
    blocked = [(lo, hi) for lo, hi, _text in rep.away] + list(paused)
    return _subtract(_clip(_merge(spans), start, end), _merge(blocked))


def hours_available(rep: CRep, start: datetime, end: datetime,
                    paused: Sequence[tuple[datetime, datetime | None]] = ()) -> float:
    spans = available_intervals(rep, start.timestamp(), end.timestamp(), _epochs(paused, end))
    return sum(hi - lo for lo, hi in spans) / 3600


def fair_shares(config, start: datetime, end: datetime, *, leads: int = 0, paused: PauseHistory | None = None,
                reps: Iterable[str] | None = None) -> dict[str, FairShare]:
    """Each rep's fair share of a window (the hours reading), by rep id, in config order.
    ``reps``: the pool (default every rep of the config); ``leads``: the window's lead count."""
    cc = _compiled(config)
    wanted = set(reps) if reps is not None else None
    pool = [r for r in cc.reps if wanted is None or r.id in wanted]
    hours = {r.id: hours_available(r, start, end, (paused or {}).get(r.id, ())) for r in pool}
    total = sum(r.weight * hours[r.id] for r in pool)
    out = {}
    for r in pool:
        share = r.weight * hours[r.id] / total if total else 0.0
        out[r.id] = FairShare(r.id, r.weight, hours[r.id], share, share * leads)
    return out


def lead_shares(config, moments: Iterable[tuple[datetime, str | None]], *,
                paused: PauseHistory | None = None) -> dict[str, float]:
    """Each rep's fair number of leads on the lead clock. ``moments``: (arrival, rule name) per
    lead; the pool is the rule's reps (unknown or None: every rep). A lead nobody of its pool was
    available for is owed to nobody."""
    cc = _compiled(config)
    moments = sorted(moments, key=lambda m: m[0])
    out = {r.id: 0.0 for r in cc.reps}
    if not moments:
        return out
    lo, hi = moments[0][0].timestamp(), moments[-1][0].timestamp() + 1
    spans = {r.id: available_intervals(r, lo, hi, _epochs((paused or {}).get(r.id, ()), moments[-1][0]))
             for r in cc.reps}
    pools = {rule.name: rule.candidates for rule in cc.rules if rule.candidates}
    for at, rule in moments:
        t = at.timestamp()
        here = [r for r in pools.get(rule or "", cc.reps) if covers(spans[r.id], t)]
        weight = sum(r.weight for r in here)
        for r in here:
            out[r.id] += r.weight / weight
    return out


def covers(spans: Sequence[Interval], t: float) -> bool:
    """``t`` falls in one of the sorted, disjoint ``spans``."""
    i = bisect_right(spans, (t, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= t < spans[i][1]


# --- interval arithmetic -----------------------------------------------------------------------

def _local(day, minute: int, tz) -> float:
    if minute >= 1440:
        return datetime.combine(day + _DAY, time(0), tzinfo=tz).timestamp()
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).timestamp()


def _epochs(pauses: Sequence[tuple[datetime, datetime | None]], until: datetime) -> list[Interval]:
    return [(a.timestamp(), (b or until).timestamp()) for a, b in pauses]


def _merge(spans: Iterable[Interval]) -> list[Interval]:
    out: list[list[float]] = []
    for lo, hi in sorted(s for s in spans if s[1] > s[0]):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def _clip(spans: list[Interval], start: float, end: float) -> list[Interval]:
    return [(max(lo, start), min(hi, end)) for lo, hi in spans if hi > start and lo < end]


def _subtract(spans: list[Interval], holes: list[Interval]) -> list[Interval]:
    out = []
    for lo, hi in spans:
        for h_lo, h_hi in holes:
            if h_hi <= lo or h_lo >= hi:
                continue
            if h_lo > lo:
                out.append((lo, h_lo))
            lo = max(lo, h_hi)
            if lo >= hi:
                break
        if lo < hi:
            out.append((lo, hi))
    return out


def _compiled(config):
    return config.compiled if hasattr(config, "compiled") else config
