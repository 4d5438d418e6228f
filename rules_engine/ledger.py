"""The fairness ledger: per rep and UTC hour, the leads they were assigned and the fair share
they were owed, by the rules that keep it (``pick: balanced`` and any rule with a ``guardrail``).

Each lead such a rule decides is one unit of fair share, split by weight among the rule's reps
who could take it at that moment (the lead clock of ``fairness.py``): a rep away, paused, off
or outside their hours is owed nothing of it, so coming back starts from where they left off and
adding or removing a rep changes nobody else's past. A rep's *deficit* over a window is owed −
assigned; ``balanced`` gives the next lead to the largest one.

The ledger lives in the routing state (``RepState.ledger``), changes only through a decision's
``StateChanges`` (``RepDelta.ledger``) and is stored per rep (``rep_state.ledger``).
"""
from __future__ import annotations

from typing import Any, Mapping

HOUR = 3600
MAX_WINDOW_DAYS = 31
_KEEP_HOURS = (MAX_WINDOW_DAYS + 1) * 24   # older hours can be in no window
_CACHED_WINDOWS = 4
_ROLL_HOURS = 48                           # roll a cached window forward at most this far


def hour_of(epoch: float) -> int:
    return int(epoch // HOUR)


def window_start(epoch: float, days: int) -> int:
    """The first hour of the ``days``-day window ending with the hour of ``epoch``."""
    return hour_of(epoch) - days * 24 + 1


class Ledger:
    """One rep's ledger: hour -> [assigned, owed], with the running sums of the windows asked
    for (so a decision costs O(1) per rep, not O(hours))."""

    __slots__ = ("hours", "_sums")

    def __init__(self, hours: Mapping[int, list[float]] | None = None) -> None:
        self.hours: dict[int, list[float]] = {h: [v[0], v[1]] for h, v in (hours or {}).items()}
        self._sums: dict[int, list[float]] = {}  # window start hour -> [assigned, owed]

    def __bool__(self) -> bool:
        return bool(self.hours)

    def __eq__(self, other) -> bool:
        return isinstance(other, Ledger) and self.hours == other.hours

    def window(self, since: int) -> tuple[float, float]:
        """(assigned, owed) over the hours from ``since`` on."""
        hit = self._sums.get(since)
        if hit is None:
            hit = self._sums[since] = self._rolled(since)
        return hit[0], hit[1]

    def _rolled(self, since: int) -> list[float]:
        """The sums from ``since``: an older window's minus the hours it has moved past (a window
        moves an hour at a time), else added up afresh."""
        older = [s for s in self._sums if since - _ROLL_HOURS <= s < since]
        if not older:
            if len(self._sums) >= _CACHED_WINDOWS:
                self._sums.clear()
            return [sum(v[0] for h, v in self.hours.items() if h >= since),
                    sum(v[1] for h, v in self.hours.items() if h >= since)]
        start = max(older)
        sums = self._sums.pop(start)
        for hour in range(start, since):
            cell = self.hours.get(hour)
            if cell is not None:
                sums[0] -= cell[0]
                sums[1] -= cell[1]
        return sums

    def deficit(self, since: int) -> float:
        assigned, owed = self.window(since)
        return owed - assigned

    def add(self, hour: int, assigned: float, owed: float) -> None:
        cell = self.hours.get(hour)
        if cell is None:
            cell = self.hours[hour] = [0, 0.0]
            if len(self.hours) > _KEEP_HOURS + 24:
                self._prune(hour)
        cell[0] += assigned
        cell[1] += owed
        for since, sums in self._sums.items():
            if hour >= since:
                sums[0] += assigned
                sums[1] += owed

    def _prune(self, newest: int) -> None:
        for h in [h for h in self.hours if h <= newest - _KEEP_HOURS]:
            del self.hours[h]
        self._sums.clear()

    def to_dict(self) -> dict[str, list[float]]:
        return {str(h): [v[0], round(v[1], 9)] for h, v in sorted(self.hours.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Ledger":
        return cls({int(h): [int(v[0]), float(v[1])] for h, v in (data or {}).items()})
