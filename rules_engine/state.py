"""Routing state: what the engine reads, and the changes it returns with each decision.

The engine never mutates state. ``decide`` returns a ``StateChanges`` value; the connector
persists it in the same transaction as the decision (rotation row locked) and ``InMemoryState``
applies it for tests and ``simulate``. Counters are *deltas* (safe to add under concurrency);
rotation pointers and weighted credits are *set* (they are written under the rotation lock).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Protocol

from .ledger import Ledger

# How many bucket keys per kind a rep keeps (older ones can no longer be "now").
_KEEP = {"h": 48, "d": 14, "w": 6}
_PRUNE_AT = 2 * sum(_KEEP.values())
# Assignments applied one after another are ordered even when decided at the same instant (every
# lead of a batch shares one ``now``): each later one is stamped at least this much after the
# latest, so "least recently assigned" ties rotate within a batch instead of falling to list order.
_TICK = 1e-5  # seconds; datetime keeps microseconds, so the order survives the database


@dataclass(slots=True)
class RepState:
    open: int = 0                       # open leads (current load)
    last_assigned: float | None = None  # epoch seconds of the latest assignment
    counts: dict[str, int] = field(default_factory=dict)  # bucket key -> assignments (see hours.py)
    converted: int = 0                  # outcomes: won / converted
    outcomes: int = 0                   # outcomes: closed either way
    ledger: Ledger = field(default_factory=Ledger)  # the fairness ledger (ledger.py)
    first_touch: float | None = None    # median seconds from received to first touch (recent leads)
    touches: int = 0                    # how many leads that median is of


class RoutingState(Protocol):
    """What ``decide`` reads. Implementations: ``InMemoryState`` here, SQL in the connector."""

    def rep(self, rep_id: str) -> RepState | None: ...
    def rotation(self, rule: str) -> str | None: ...
    def credits(self, rule: str) -> Mapping[str, int]: ...


@dataclass(frozen=True, slots=True)
class RepDelta:
    open: int = 0
    last_assigned: float | None = None
    counts: tuple[str, ...] = ()        # bucket keys to increment by one
    converted: int = 0
    outcomes: int = 0
    ledger: tuple[int, int, float] | None = None  # (UTC hour, assigned, fair share owed)


@dataclass(frozen=True)
class StateChanges:
    rotation: Mapping[str, str] = field(default_factory=dict)               # rule -> last rep
    credits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # rule -> rep -> credit
    reps: Mapping[str, RepDelta] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.rotation or self.credits or self.reps)

    @classmethod
    def outcome(cls, rep_id: str, *, converted: bool, closed: bool = True) -> "StateChanges":
        """An outcome synced from the CRM: feeds top_performer and frees load when closed."""
        return cls(reps={rep_id: RepDelta(open=-1 if closed else 0, converted=int(converted), outcomes=1)})

    @classmethod
    def released(cls, rep_id: str) -> "StateChanges":
        """A lead left the rep's queue (reassigned, deleted) without an outcome."""
        return cls(reps={rep_id: RepDelta(open=-1)})

    def to_dict(self) -> dict[str, Any]:
        reps = {}
        for rid, d in self.reps.items():
            item: dict[str, Any] = {k: getattr(d, k) for k in ("open", "converted", "outcomes") if getattr(d, k)}
            if d.last_assigned is not None:
                item["last_assigned"] = _iso(d.last_assigned)
            if d.counts:
                item["counts"] = list(d.counts)
            if d.ledger is not None:
                item["ledger"] = list(d.ledger)
            reps[rid] = item
        return {"rotation": dict(self.rotation), "credits": {k: dict(v) for k, v in self.credits.items()},
                "reps": reps}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StateChanges":
        reps = {}
        for rid, d in (data.get("reps") or {}).items():
            reps[rid] = RepDelta(open=int(d.get("open", 0)), last_assigned=_epoch(d.get("last_assigned")),
                                 counts=tuple(d.get("counts", ())), converted=int(d.get("converted", 0)),
                                 outcomes=int(d.get("outcomes", 0)),
                                 ledger=tuple(d["ledger"]) if d.get("ledger") else None)
        return cls(rotation=dict(data.get("rotation") or {}),
                   credits={k: dict(v) for k, v in (data.get("credits") or {}).items()}, reps=reps)


class InMemoryState:
    """A RoutingState in dictionaries, with JSON load/dump (``simulate --state``)."""

    def __init__(self) -> None:
        self.reps: dict[str, RepState] = {}
        self.rotations: dict[str, str] = {}
        self.credit_maps: dict[str, dict[str, int]] = {}
        self._latest: float | None = None  # newest last_assigned applied (computed on first use)

    def _stamp(self, at: float) -> float:
        if self._latest is None:
            self._latest = max((r.last_assigned for r in self.reps.values() if r.last_assigned is not None),
                               default=float("-inf"))
        stamp = at if at > self._latest else self._latest + _TICK
        self._latest = stamp
        return stamp

    def rep(self, rep_id: str) -> RepState | None:
        return self.reps.get(rep_id)

    def rotation(self, rule: str) -> str | None:
        return self.rotations.get(rule)

    def credits(self, rule: str) -> Mapping[str, int]:
        return self.credit_maps.get(rule) or {}

    def apply(self, changes: StateChanges) -> None:
        self.rotations.update(changes.rotation)
        for rule, credit in changes.credits.items():
            self.credit_maps.setdefault(rule, {}).update(credit)
        for rid, d in changes.reps.items():
            rs = self.reps.get(rid)
            if rs is None:
                rs = self.reps[rid] = RepState()
            rs.open = max(0, rs.open + d.open)
            if d.last_assigned is not None:
                rs.last_assigned = self._stamp(d.last_assigned)
            fresh = False
            for key in d.counts:
                n = rs.counts.get(key)
                fresh = fresh or n is None
                rs.counts[key] = (n or 0) + 1
            if fresh and len(rs.counts) > _PRUNE_AT:  # amortized: drop buckets that can't be "now"
                _prune(rs.counts)
            rs.converted += d.converted
            rs.outcomes += d.outcomes
            if d.ledger is not None:
                rs.ledger.add(*d.ledger)

    # --- JSON -----------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "InMemoryState":
        """Accepts the short form ``{"reps": {"ana": {"open": 5}}}`` as well as ``to_dict()``."""
        st = cls()
        for rid, d in (data.get("reps") or {}).items():
            st.reps[rid] = RepState(open=int(d.get("open", 0)), last_assigned=_epoch(d.get("last_assigned")),
                                    counts={str(k): int(v) for k, v in (d.get("counts") or {}).items()},
                                    converted=int(d.get("converted", 0)), outcomes=int(d.get("outcomes", 0)),
                                    ledger=Ledger.from_dict(d.get("ledger")), first_touch=d.get("first_touch"),
                                    touches=int(d.get("touches", 0)))
        st.rotations = {str(k): str(v) for k, v in (data.get("rotation") or {}).items()}
        st.credit_maps = {str(k): {str(r): int(c) for r, c in v.items()}
                          for k, v in (data.get("credits") or {}).items()}
        return st

    def to_dict(self) -> dict[str, Any]:
        reps = {}
        for rid, rs in sorted(self.reps.items()):
            reps[rid] = {"open": rs.open, "last_assigned": _iso(rs.last_assigned) if rs.last_assigned else None,
                         "counts": dict(sorted(rs.counts.items())), "converted": rs.converted,
                         "outcomes": rs.outcomes, "ledger": rs.ledger.to_dict()}
            if rs.touches:
                reps[rid].update(first_touch=rs.first_touch, touches=rs.touches)
        return {"reps": reps, "rotation": dict(sorted(self.rotations.items())),
                "credits": {k: dict(v) for k, v in sorted(self.credit_maps.items())}}

    @classmethod
    def from_json(cls, text: str) -> "InMemoryState":
        return cls.from_dict(json.loads(text) if text.strip() else {})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def _prune(counts: dict[str, int]) -> None:
    for prefix, keep in _KEEP.items():
        keys = sorted(k for k in counts if k.startswith(prefix + ":"))
        for k in keys[:-keep]:
            del counts[k]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def _epoch(value) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()
