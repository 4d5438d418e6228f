"""The canonical lead every adapter maps its CRM record to."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any, Callable

from .geo import normalize_country, normalize_postal, normalize_state
from .text import email_domain, website_domain

STRING_FIELDS = (
    "id", "email", "company", "website", "first_name", "last_name", "title", "phone", "country",
    "state", "postal_code", "city", "industry", "source", "status", "product", "language",
)
NUMBER_FIELDS = ("employees", "annual_revenue", "score")
DATETIME_FIELDS = ("created_at",)
# Derived, read-only: the email domain, else the website domain (what account matching uses).
VIRTUAL_FIELDS = ("domain",)
FIELD_TYPES: dict[str, str] = {
    **{f: "string" for f in STRING_FIELDS}, **{f: "number" for f in NUMBER_FIELDS},
    **{f: "datetime" for f in DATETIME_FIELDS}, "domain": "string",
}
RAW_PREFIX = "raw."


@dataclass(slots=True)
class Lead:
    """Treat as immutable once built; build it with ``Lead.from_dict``."""

    id: str | None = None
    email: str | None = None
    company: str | None = None
    website: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    phone: str | None = None
    country: str | None = None      # ISO 3166 alpha-2 when recognised, else as given
    state: str | None = None        # ISO 3166-2 suffix ("CA") when recognised
    postal_code: str | None = None  # upper-cased, spaces and dashes removed
    city: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    source: str | None = None
    status: str | None = None
    score: float | None = None
    product: str | None = None
    language: str | None = None
    created_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    email_domain: str | None = None
    website_domain: str | None = None

    @property
    def domain(self) -> str | None:
        return self.email_domain or self.website_domain

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Lead":
        """Canonical keys become fields; ``raw`` (a dict) and ``raw.X`` keys and any other key
        land in ``raw``. Empty strings count as missing."""
        values: dict[str, Any] = {}
        raw: dict[str, Any] = dict(data.get("raw") or {})
        for key, value in data.items():
            if key == "raw":
                continue
            if key.startswith(RAW_PREFIX):
                raw[key[len(RAW_PREFIX):]] = value
            elif key in FIELD_TYPES and key not in VIRTUAL_FIELDS:
                values[key] = value
            else:
                raw[key] = value
        lead = cls(raw=raw)
        for key in STRING_FIELDS:
            v = values.get(key)
            if v is not None:
                v = str(v).strip() or None
            setattr(lead, key, v)
        lead.employees = _to_int(values.get("employees"))
        lead.annual_revenue = _to_float(values.get("annual_revenue"))
        lead.score = _to_float(values.get("score"))
        lead.created_at = parse_datetime(values.get("created_at"))
        lead.country = normalize_country(lead.country) or lead.country  # unknown: kept as given
        lead.state = normalize_state(lead.state, lead.country) if lead.state else None
        lead.postal_code = normalize_postal(lead.postal_code)
        lead.email_domain = email_domain(lead.email)
        lead.website_domain = website_domain(lead.website)
        return lead

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)
               if f.name not in ("raw", "email_domain", "website_domain")}
        if self.created_at is not None:
            out["created_at"] = self.created_at.isoformat()
        out["raw"] = dict(self.raw)
        return {k: v for k, v in out.items() if v is not None}


def field_getter(name: str) -> Callable[[Lead], Any]:
    """A fast accessor for a canonical field or ``raw.<Name>``, built once at config load."""
    if name.startswith(RAW_PREFIX):
        key = name[len(RAW_PREFIX):]
        return lambda lead: lead.raw.get(key)
    if name == "domain":
        return lambda lead: lead.email_domain or lead.website_domain
    if name not in FIELD_TYPES:
        raise KeyError(name)
    return attrgetter(name)  # C-level accessor: one Python frame less per condition


def is_known_field(name: str) -> bool:
    return name in FIELD_TYPES or (name.startswith(RAW_PREFIX) and len(name) > len(RAW_PREFIX))


def parse_datetime(value) -> datetime | None:
    """ISO 8601 (a trailing Z is accepted); naive values are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _to_float(value) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None


def _to_int(value) -> int | None:
    f = _to_float(value)
    return int(f) if f is not None and f == f and abs(f) != float("inf") else None
