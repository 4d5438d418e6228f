"""Who may receive a lead right now: compiled reps, the per-decision context, the eligibility
checks every rule applies, and the optional per-rule requirements (territory, skills).

A failed check returns a precomputed ``(code, sentence)`` pair so the hot path builds no strings.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, Callable

from .choices import HARD_SKIPS, Skip
from .days_off import DaysOff
from .errors import ConfigIssue
from .geo import is_country_code
from .hours import DAYS, Week, in_hours, local_bucket_keys, local_facts, next_hour, next_midnight, next_opening, next_week
from .state import RepState
from .text import slugify

_EMPTY = RepState()
# A rep's caps on new assignments, in the order of the bucket keys (see hours.bucket_keys).
CAPS = (("hourly_cap", Skip.HOURLY_CAP, "hourly"), ("daily_cap", Skip.DAILY_CAP, "daily"),
        ("weekly_cap", Skip.WEEKLY_CAP, "weekly"))


class CRep:
    """A rep as the engine uses it: everything derivable from config precomputed."""
    __slots__ = ("id", "pos", "weight", "tz", "tzname", "hours", "hours_reasons", "away", "days_off", "static",
                 "max_open", "caps", "limited", "skills", "crm", "model", "max_open_reason")

    def __init__(self, model, pos: int, tz, tzname: str, hours: Week | None, away, days_off: DaysOff | None = None):
        rid = model.id
        self.id, self.pos, self.model, self.weight = rid, pos, model, model.weight
        self.tz, self.tzname, self.hours, self.away, self.days_off = tz, tzname, hours, away, days_off
        self.crm = dict(model.crm)
        self.skills = frozenset(slugify(s) for s in model.skills)
        self.static = ((Skip.INACTIVE, f"{rid}: inactive") if not model.active
                       else (Skip.PAUSED, f"{rid}: paused") if model.paused else None)
        self.hours_reasons = tuple(
            (Skip.OUTSIDE_HOURS, f"{rid}: outside hours "
             + (", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in hours[d])
                if hours[d] else f"(off on {DAYS[d]})") + f" {tzname}")
            for d in range(7)) if hours else ()
        self.max_open = model.max_open
        self.max_open_reason = (Skip.MAX_OPEN, f"{rid}: {model.max_open} open leads (max_open reached)")
        self.caps = tuple((i, cap, (code, f"{rid}: {label} cap {cap} reached"))
                          for i, (cap, code, label) in enumerate((getattr(model, key), code, label)
                                                                 for key, code, label in CAPS)
                          if cap is not None)
        self.limited = self.max_open is not None or bool(self.caps)


class Ctx:
    """Per-decision memo: local times per time zone, territory matches, the compact trace."""
    __slots__ = ("now", "epoch", "state", "exclude", "crm", "lead", "trace", "_local", "_keys", "memo")

    def __init__(self, now: datetime, state, exclude, crm, lead):
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.now, self.epoch, self.state = now, now.timestamp(), state
        self.exclude, self.crm, self.lead = exclude, crm, lead
        self.trace: list[tuple] = []
        self._local: dict[str, list] = {}
        self._keys: dict[str, tuple[str, str, str]] = {}
        self.memo: dict[str, Any] = {}

    def local(self, rep: CRep) -> tuple:
        """(local datetime, weekday, minute of day) in the rep's zone."""
        hit = self._local.get(rep.tzname)
        if hit is None:
            hit = self._local[rep.tzname] = local_facts(self.now, self.epoch, rep.tz, rep.tzname)
        return hit

    def keys(self, rep: CRep) -> tuple[str, str, str]:
        """The rep's hour/day/week bucket keys for now (see hours.py), once per time zone."""
        hit = self._keys.get(rep.tzname)
        if hit is None:
            hit = self._keys[rep.tzname] = local_bucket_keys(self.now, self.epoch, rep.tz, rep.tzname)
        return hit


def base_reason(rep: CRep, ctx: Ctx):
    """The always-on eligibility checks; None when the rep may take a lead now."""
    if rep.id in ctx.exclude:
        return (Skip.EXCLUDED, f"{rep.id}: already had this lead")
    if rep.static is not None:
        return rep.static
    if ctx.crm is not None and not any(key in rep.crm for key in ctx.crm):
        return (Skip.NO_CRM_OWNER, f"{rep.id}: no {ctx.crm[0]} owner id")
    if rep.away:
        t = ctx.epoch
        for lo, hi, text in rep.away:
            if lo <= t < hi:
                return (Skip.AWAY, text)
    if rep.days_off is not None:
        r = rep.days_off.reason(ctx.local(rep)[0].date())
        if r is not None:
            return r
    if rep.hours is not None:
        loc = ctx.local(rep)
        if not in_hours(rep.hours, loc[1], loc[2]):
            return rep.hours_reasons[loc[1]]
    if rep.limited:
        rs = ctx.state.rep(rep.id) or _EMPTY
        if rep.max_open is not None and rs.open >= rep.max_open:
            return rep.max_open_reason
        if rep.caps:
            keys = ctx.keys(rep)
            counts = rs.counts
            for i, cap, reason in rep.caps:
                if counts.get(keys[i], 0) >= cap:
                    return reason
    return None


def hard_reason(rep: CRep, ctx: Ctx):
    r = base_reason(rep, ctx)
    return r if r is None or r[0] in HARD_SKIPS else None


def available_at(rep: CRep, code: str, now: datetime) -> datetime | None:
    """When a temporary reason clears at the earliest (None: not predictable from time alone)."""
    local = now.astimezone(rep.tz)
    if code == Skip.OUTSIDE_HOURS:
        return _past_days_off(rep, next_opening(rep.hours, rep.tz, now))
    if code == Skip.HOLIDAY:
        return _past_days_off(rep, now)
    if code == Skip.AWAY:
        t = now.timestamp()
        ends = [hi for lo, hi, _ in rep.away if lo <= t < hi]
        return datetime.fromtimestamp(max(ends), timezone.utc) if ends else None
    return {Skip.HOURLY_CAP: next_hour, Skip.DAILY_CAP: next_midnight,
            Skip.WEEKLY_CAP: next_week}.get(code, lambda _l: None)(local)


def _past_days_off(rep: CRep, at: datetime | None) -> datetime | None:
    """The first moment from ``at`` that is not on one of the rep's days off and, when the rep
    has hours, is inside them (a walk bounded to 60 days off in a row)."""
    for _ in range(60):
        if at is None or rep.days_off is None:
            return at
        day = at.astimezone(rep.tz).date()
        if rep.days_off.reason(day) is None:
            return at
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=rep.tz).astimezone(timezone.utc)
        at = next_opening(rep.hours, rep.tz, midnight - timedelta(microseconds=1)) if rep.hours else midnight
    return at


# --- per-rule requirements (registry) ----------------------------------------------------------

@dataclass(frozen=True)
class Territory:
    """Rule requirement: the lead's country / state / postal code falls in a rep's territory."""
    name = "territory"
    description = "the lead's country/state/postal code falls in one of the rep's territories"
    takes = "nothing"

    @classmethod
    def compile(cls, args, path: str, issues: list[ConfigIssue]):
        if args not in (None, True):
            issues.append(ConfigIssue(path, "territory takes no arguments"))
        return cls()

    def prepare(self, ctx: Ctx, cc) -> Callable[[CRep], tuple | None] | str:
        lead = ctx.lead
        if lead.country and not is_country_code(lead.country):
            return f"country {lead.country!r} not recognised, so no territory can match"
        matched = ctx.memo.get("territory")
        if matched is None:
            matched = ctx.memo["territory"] = cc.territory_matches(lead)
        where = "/".join(x for x in (lead.country, lead.state, lead.postal_code) if x) or "no location"
        return lambda rep: None if rep.id in matched else (Skip.TERRITORY, f"{rep.id}: {where} is outside their territories")


@dataclass(frozen=True)
class Skills:
    """Rule requirement: the rep has every listed skill; 'field:X' is the lead's value of X."""
    items: tuple[tuple[str, Any], ...] = ()
    name = "skills"
    description = "the rep has every listed skill; 'field:X' means the lead's value of X, slugified"
    takes = "list of skills or field:<lead field>"

    @classmethod
    def compile(cls, args, path: str, issues: list[ConfigIssue]):
        from .lead import field_getter, is_known_field
        if not isinstance(args, list) or not args:
            issues.append(ConfigIssue(path, "skills needs a non-empty list"))
            return None
        items = []
        for i, item in enumerate(args):
            text = str(item)
            if text.startswith("field:"):
                fname = text[6:]
                if not is_known_field(fname):
                    issues.append(ConfigIssue(f"{path}[{i}]", f"unknown field {fname!r}"))
                    continue
                items.append((fname, field_getter(fname)))
            else:
                items.append((None, slugify(text)))
        return cls(tuple(items))

    def prepare(self, ctx: Ctx, cc):
        needed = set()
        for fname, value in self.items:
            if fname is None:
                needed.add(value)
                continue
            v = value(ctx.lead)
            if v is None or v == "":
                return f"lead has no {fname}, so no rep can match skills"
            needed.add(slugify(v))
        need = frozenset(needed)
        text = ", ".join(sorted(need))
        return lambda rep: None if need <= rep.skills else (Skip.SKILLS, f"{rep.id}: lacks skills {text}")


REQUIREMENTS: dict[str, type] = {"territory": Territory, "skills": Skills}
