"""Holidays: a rep's or a team's public-holiday calendar (python-holidays) plus listed days off.

    holidays: DE
    holidays: {country: US, subdiv: CA}
    holidays: {country: DE, subdiv: BY, dates: [2026-12-24, 2026-12-31]}
    holidays: {dates: [2026-12-24]}

Checked at config load (an unknown country or subdivision is a config error with its path). The
days of a year are computed from python-holidays' rules once, on first need, and memoised: the
calculation is deterministic and does no I/O, so ``decide()`` stays pure and needs no window of
years fixed in advance. Days are the rep's local calendar days.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays as python_holidays
from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import Model
from .choices import Skip
from .geo import normalize_country, subdivision_code

DAY_OFF = "day off"


@lru_cache(maxsize=1)
def supported() -> dict[str, tuple[str, ...]]:
    """Country alpha-2 -> the subdivision codes python-holidays knows for it."""
    return {code: tuple(subs) for code, subs in python_holidays.list_supported_countries().items() if len(code) == 2}


class HolidayCalendar(Model):
    country: str | None = None       # ISO code or name: its public holidays
    subdiv: str | None = None        # a state / region: adds its own holidays
    dates: list[date] = Field(default_factory=list)   # further days off

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v):
        return {"country": v} if isinstance(v, str) else v

    @field_validator("country")
    @classmethod
    def _country(cls, v):
        if v is None:
            return v
        code = normalize_country(v)
        if code not in supported():
            raise ValueError(f"no public holidays known for {v!r} (use an ISO country code such as DE or US)")
        return code

    @field_validator("subdiv")
    @classmethod
    def _subdiv(cls, v, info: ValidationInfo):
        country = info.data.get("country")
        if v is None or country is None:
            if v is not None and "country" in info.data:
                raise ValueError("subdiv needs a country")
            return v
        known = supported()[country]
        code = subdivision_code(v, country) or str(v).strip().upper()
        if code not in known:
            raise ValueError(f"unknown subdivision {v!r} of {country}"
                             + (f"; one of: {', '.join(known)}" if known else " (it has none)"))
        return code

    @property
    def label(self) -> str:
        return f"{self.country}-{self.subdiv}" if self.subdiv else str(self.country)


@lru_cache(maxsize=4096)
def public_holidays(country: str, subdiv: str | None, year: int) -> dict[date, str]:
    return dict(python_holidays.country_holidays(country, subdiv=subdiv, years=year))


class DaysOff:
    """One rep's days off (their calendars merged), as ready-made skip reasons by date."""
    __slots__ = ("rep_id", "calendars", "_years")

    def __init__(self, rep_id: str, calendars: tuple[HolidayCalendar, ...]):
        self.rep_id, self.calendars = rep_id, calendars
        self._years: dict[int, dict[date, tuple[Skip, str]]] = {}

    def reason(self, day: date) -> tuple[Skip, str] | None:
        table = self._years.get(day.year)
        if table is None:
            table = self._years[day.year] = self._year(day.year)
        return table.get(day)

    def _year(self, year: int) -> dict[date, tuple[Skip, str]]:
        names: dict[date, list[str]] = {}
        for cal in self.calendars:
            if cal.country:
                for day, name in public_holidays(cal.country, cal.subdiv, year).items():
                    names.setdefault(day, []).append(f"{name}, {cal.label}")
            for day in cal.dates:
                if day.year == year:
                    names.setdefault(day, []).append(DAY_OFF)
        return {day: (Skip.HOLIDAY, f"{self.rep_id}: on holiday ({'; '.join(dict.fromkeys(parts))})")
                for day, parts in names.items()}


def days_off_for(rep, teams) -> DaysOff | None:
    """The rep's own calendar, else the calendars of the teams they are in; None: no days off."""
    calendars = (rep.holidays,) if rep.holidays is not None else tuple(
        t.holidays for t in teams if t.holidays is not None and rep.id in t.members)
    return DaysOff(rep.id, calendars) if calendars else None
