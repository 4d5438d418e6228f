"""A poll cursor that survives result caps and same-timestamp ties.

It holds a timestamp and the ids already returned at or after it. Each poll asks for records
with ``ts >= cursor.ts`` minus those ids, oldest first; so a query can always restart from the
cursor (HubSpot's search stops at 10,000 results per query; Salesforce query locators expire)
and ties at the boundary are neither lost nor repeated. ``horizon`` keeps the cursor behind the
CRM's indexing lag: records newer than it are returned, but the cursor does not pass them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone


def to_ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


@dataclass(frozen=True)
class SinceCursor:
    ts_ms: int | None = None
    seen: dict[str, int] = field(default_factory=dict)   # id -> its timestamp (ms)

    @property
    def ts(self) -> datetime | None:
        return from_ms(self.ts_ms) if self.ts_ms is not None else None

    def encode(self) -> str:
        return json.dumps({"v": 1, "ts": self.ts_ms, "seen": self.seen}, separators=(",", ":"),
                          sort_keys=True)

    @classmethod
    def decode(cls, text: str | None) -> "SinceCursor":
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(data.get("ts"), {str(k): int(v) for k, v in (data.get("seen") or {}).items()})
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"not a cursor: {text[:80]!r}") from None

    @classmethod
    def starting_at(cls, dt: datetime | None) -> "SinceCursor":
        return cls(to_ms(dt) if dt else None)

    def advance(self, items: list[tuple[str, datetime]], *, horizon: datetime | None = None,
                granularity_ms: int = 1) -> "SinceCursor":
        """The cursor after ``items`` (id, timestamp) were handed out."""
        stamps = {**self.seen, **{i: to_ms(t) for i, t in items}}
        if not stamps:
            return self
        new_ts = max(stamps.values())
        if horizon is not None:
            new_ts = min(new_ts, to_ms(horizon))
        new_ts -= new_ts % granularity_ms   # the CRM's filter compares at this precision
        if self.ts_ms is not None:
            new_ts = max(new_ts, self.ts_ms)
        return SinceCursor(new_ts, {i: t for i, t in stamps.items() if t >= new_ts})
