"""Working hours, away periods and the calendar buckets used by the caps.

Counts for ``hourly_cap`` / ``daily_cap`` / ``weekly_cap`` are kept per *bucket key* computed in
the rep's time zone at assignment time:

    hour  'h:2026-11-01T01-04:00'  local date and hour *plus the UTC offset*, so the repeated
                                   01:00 hour when DST ends is two distinct hours
    day   'd:2026-11-01'           local calendar date: resets at the rep's local midnight
    week  'w:2026-W44'             ISO year and week: resets at local Monday 00:00

A count applies when its key equals the key of ``now``; no clock arithmetic is needed, so the
reset is correct across DST changes and for decisions that arrive out of order.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Week = tuple[tuple[tuple[int, int], ...], ...]  # per weekday, sorted (start, end) minutes


def load_zone(name: str) -> ZoneInfo:
    """ZoneInfo or ValueError with a readable message."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name like America/New_York)") from None


def _days(key: str) -> list[int]:
    key = key.strip().casefold()
    if key in ("daily", "everyday", "all"):
        return list(range(7))
    out: list[int] = []
    for part in key.split(","):
        part = part.strip()
        if "-" in part:
            a, _, b = part.partition("-")
            if a.strip() not in DAYS or b.strip() not in DAYS:
                raise ValueError(f"bad day range {part!r} (use mon..sun, e.g. mon-fri)")
            i, j = DAYS.index(a.strip()), DAYS.index(b.strip())
            out.extend(DAYS.index(DAYS[(i + k) % 7]) for k in range((j - i) % 7 + 1))
        elif part in DAYS:
            out.append(DAYS.index(part))
        else:
            raise ValueError(f"bad day {part!r} (use mon..sun, e.g. mon-fri)")
    return out


def _ranges(value: str) -> list[tuple[int, int]]:
    text = str(value).strip().casefold()
    if text in ("off", "closed", "none", ""):
        return []
    out = []
    for part in text.split(","):
        m = _RANGE_RE.match(part)
        if not m:
            raise ValueError(f"bad hours {part.strip()!r} (use HH:MM-HH:MM, e.g. 09:00-18:00)")
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"bad time in {part.strip()!r}")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end:
            raise ValueError(f"empty range {part.strip()!r}")
        out.append((start, end))
    return out


def parse_hours(spec: dict[str, str]) -> Week:
    """{'mon-fri': '09:00-18:00', 'sat': '10:00-14:00'} -> per-weekday minute ranges.
    A range that ends before it starts (22:00-06:00) runs past midnight into the next day."""
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for key, value in spec.items():
        for day in _days(key):
            for start, end in _ranges(value):
                if end > start:
                    week[day].append((start, end))
                else:
                    week[day].append((start, 1440))
                    if end:
                        week[(day + 1) % 7].append((0, end))
    return tuple(tuple(sorted(d)) for d in week)


def in_hours(week: Week, weekday: int, minute: int) -> bool:
    for start, end in week[weekday]:
        if start <= minute < end:
            return True
    return False


def next_opening(week: Week, tz: ZoneInfo, now: datetime) -> datetime | None:
    """The first moment after ``now`` when the rep is inside working hours (UTC)."""
    local = now.astimezone(tz)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for start, _end in week[day.weekday()]:
            at = datetime.combine(day, time(start // 60, start % 60), tzinfo=tz)
            if at.astimezone(timezone.utc) > now:
                return at.astimezone(timezone.utc)
    return None


def away_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[float, float]:
    """Inclusive local dates -> [start, end) in epoch seconds (local midnights, DST-aware)."""
    lo = datetime.combine(start, time(0), tzinfo=tz).timestamp()
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).timestamp()
    return lo, hi


def bucket_keys(local: datetime) -> tuple[str, str, str]:
    secs = int(local.utcoffset().total_seconds())
    sign = "-" if secs < 0 else "+"
    mins = abs(secs) // 60
    iso = local.isocalendar()
    day = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    return (
        f"h:{day}T{local.hour:02d}{sign}{mins // 60:02d}:{mins % 60:02d}",
        f"d:{day}",
        f"w:{iso[0]}-W{iso[1]:02d}",
    )


# Memo of local calendar facts per (zone, UTC quarter-hour or minute). Sound because every UTC
# offset and every DST transition in the tz database falls on a quarter-hour boundary, so local
# hour/date/week cannot change inside one UTC quarter-hour (nor the minute inside a minute).
_LOCAL_MEMO: dict[tuple, tuple] = {}
_MEMO_MAX = 50_000


def local_facts(now: datetime, epoch: float, tz: ZoneInfo, tzname: str) -> tuple:
    """(local datetime, weekday, minute of day) in ``tz`` for this instant."""
    key = (tzname, int(epoch // 60))
    hit = _LOCAL_MEMO.get(key)
    if hit is None:
        if len(_LOCAL_MEMO) > _MEMO_MAX:
            _LOCAL_MEMO.clear()
        loc = now.astimezone(tz)
        hit = _LOCAL_MEMO[key] = (loc, loc.weekday(), loc.hour * 60 + loc.minute)
    return hit


def local_bucket_keys(now: datetime, epoch: float, tz: ZoneInfo, tzname: str) -> tuple[str, str, str]:
    key = (tzname, int(epoch // 900), "k")
    hit = _LOCAL_MEMO.get(key)
    if hit is None:
        if len(_LOCAL_MEMO) > _MEMO_MAX:
            _LOCAL_MEMO.clear()
        hit = _LOCAL_MEMO[key] = bucket_keys(now.astimezone(tz))
    return hit


def next_hour(local: datetime) -> datetime:
    start = local.replace(minute=0, second=0, microsecond=0)
    return (start.astimezone(timezone.utc) + timedelta(hours=1))


def next_midnight(local: datetime, days_ahead: int = 1) -> datetime:
    day = local.date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(0), tzinfo=local.tzinfo).astimezone(timezone.utc)


def next_week(local: datetime) -> datetime:
    return next_midnight(local, 7 - local.weekday())
