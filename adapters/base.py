"""The one interface every CRM adapter implements, and the values it returns.

Plain dataclasses in, plain dataclasses out: the connector never sees an SDK object, and the
rules engine gets ``rules_engine.Lead`` (canonical) values.
"""
from __future__ import annotations

import abc
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Callable, Iterable, Mapping, Sequence

from rules_engine import Lead

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


class AssignOutcome(str, Enum):
    WRITTEN = "written"
    OWNER_CHANGED = "owner_changed"      # someone else changed the owner: we did not overwrite
    INVALID_OWNER = "invalid_owner"      # the CRM refused the owner (inactive, unknown, queue...)
    NOT_FOUND = "not_found"              # the lead is gone (deleted, merged)
    TRANSIENT = "transient"              # retry later: 5xx, limits, timeouts
    REJECTED = "rejected"                # any other refusal of the values (not retryable)


class WebhookKind(str, Enum):
    CREATED = "created"
    OWNER_CHANGED = "owner_changed"
    PROPERTY_CHANGED = "property_changed"
    DELETED = "deleted"
    NOTIFICATION = "notification"        # Salesforce outbound message: a lead matched the rule


@dataclass(frozen=True)
class LeadRecord:
    """A lead as read from the CRM: the canonical lead plus what the pipeline checks before
    writing (who owns it now, is that a real user, when it last changed)."""

    lead: Lead
    owner_id: str | None
    has_real_owner: bool                 # a user owns it (not a queue / nobody)
    modified_at: datetime | None
    converted: bool = False

    @property
    def id(self) -> str:
        return self.lead.id or ""


@dataclass(frozen=True)
class UnassignedPage:
    leads: list[LeadRecord]
    cursor: str                          # opaque; pass back to find_unassigned
    has_more: bool = False


@dataclass(frozen=True)
class CrmUser:
    id: str
    email: str | None
    name: str
    active: bool
    teams: tuple[str, ...] = ()
    role: str | None = None


ANY_OWNER = "*"   # expected_owner_id meaning "write whoever owns it now"


@dataclass(frozen=True)
class AssignmentRequest:
    """``expected_owner_id`` is the owner seen when deciding (a queue id, or None for "nobody");
    if the lead has another owner by write time, it is left alone (``owner_changed``)."""

    lead_id: str
    owner_id: str
    expected_owner_id: str | None = ANY_OWNER
    expected_modified_at: datetime | None = None


@dataclass(frozen=True)
class AssignResult:
    lead_id: str
    outcome: AssignOutcome
    error: str | None = None
    retry_after: float | None = None
    current_owner_id: str | None = None          # for owner_changed: who owns it now

    @property
    def ok(self) -> bool:
        return self.outcome is AssignOutcome.WRITTEN


@dataclass(frozen=True)
class CrmAccount:
    """One account (Salesforce Account, HubSpot company) as ``list_accounts`` reads it."""

    account_id: str
    name: str | None
    domain: str | None                   # the domain, or the website URL it is read from
    owner_id: str | None
    last_activity: datetime | None = None


PersonKey = tuple[str, str, str]   # first name, last name, company domain


@dataclass(frozen=True)
class DuplicateMatch:
    email: str
    record_id: str
    record_type: str                     # "Lead", "Contact", "contacts"...
    owner_id: str | None
    first_name: str | None = None
    last_name: str | None = None
    company_domain: str | None = None    # the record's website / company domain, if it has one
    last_activity: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What the CRM says now about one lead we routed: its status, whether that status (or the
    CRM's own conversion) means won (``converted``) or lost, its first activity at or after the
    time asked about, its owner and when the record last changed."""

    lead_id: str
    status: str | None
    converted: bool
    first_activity_at: datetime | None
    owner_id: str | None = None
    changed_at: datetime | None = None
    lost: bool = False


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str                        # idempotency key (HubSpot eventId, SF notification Id)
    lead_id: str
    kind: WebhookKind
    occurred_at: datetime | None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookReply:
    status: int
    content_type: str
    body: str


@dataclass(frozen=True)
class ConnectionHealth:
    """What this process saw of one connection's CRM: the last call that worked, the last one
    that failed (its message, never a secret) and the API headroom the CRM's own response headers
    reported (``headroom``: ``daily_remaining``/``daily_max`` and, for HubSpot, the rolling
    window's ``window_remaining``/``window_max``). ``version`` grows with every observation;
    ``calls`` counts them by outcome (``ok``, or the error's kind: ``rate_limited``...)."""

    last_ok_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    headroom: dict[str, int] = field(default_factory=dict)
    headroom_at: datetime | None = None
    version: int = 0
    calls: dict[str, int] = field(default_factory=dict)


def _counted(calls: Mapping[str, int], outcome: str) -> dict[str, int]:
    return {**calls, outcome: calls.get(outcome, 0) + 1}


class HealthTracker:
    """Kept by a connection's HTTP choke point: one cheap in-memory update per CRM call; whoever
    persists it reads ``snapshot()`` now and then (never a write per call)."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._lock = threading.Lock()
        self._health = ConnectionHealth()

    def _headroom(self, health: ConnectionHealth, headroom: Mapping[str, int | None] | None,
                  now: datetime) -> ConnectionHealth:
        values = {k: int(v) for k, v in (headroom or {}).items() if v is not None}
        if not values:   # a response without the headers (HubSpot search) keeps the last reading
            return health
        return replace(health, headroom={**health.headroom, **values}, headroom_at=now)

    def ok(self, headroom: Mapping[str, int | None] | None = None) -> None:
        with self._lock:
            now = self._clock()
            health = self._headroom(self._health, headroom, now)
            self._health = replace(health, last_ok_at=now, version=health.version + 1,
                                   calls=_counted(health.calls, "ok"))

    def failed(self, message: str, headroom: Mapping[str, int | None] | None = None,
               outcome: str = "error") -> None:
        with self._lock:
            now = self._clock()
            health = self._headroom(self._health, headroom, now)
            self._health = replace(health, last_error=message[:500], last_error_at=now,
                                   version=health.version + 1, calls=_counted(health.calls, outcome))

    def snapshot(self) -> ConnectionHealth:
        with self._lock:
            return self._health


class CrmAdapter(abc.ABC):
    """One CRM connection. Every method may raise adapters.errors.CrmError subclasses."""

    kind: str = ""

    @abc.abstractmethod
    def find_unassigned(self, since_cursor: str | None = None) -> UnassignedPage: ...

    @abc.abstractmethod
    def read_leads(self, ids: Sequence[str]) -> list[LeadRecord]:
        """The leads found, in order; an id that names no lead (or cannot be one) is absent."""

    def cursor_since(self, since: datetime | None) -> str | None:
        """A poll cursor that starts at ``since`` (None: from the oldest record), for a new
        connection's first poll (``backfill``) and ``python app.py backfill --since``."""
        from adapters.cursor import SinceCursor

        return SinceCursor.starting_at(since).encode() if since is not None else None

    def record_url(self, record_id: str) -> str | None:
        """Where a person opens this record in the CRM (links in notifications), if known."""
        return None

    def lead_id_problem(self, lead_id: str) -> str | None:
        """Why ``lead_id`` cannot name a lead in this CRM (None when it can): a malformed id
        goes to the dead letters alone instead of failing the batch read it came with."""
        return None if lead_id else "empty lead id"

    @abc.abstractmethod
    def read_roster(self) -> list[CrmUser]: ...

    @abc.abstractmethod
    def read_open_load(self, owner_ids: Iterable[str]) -> dict[str, int]: ...

    @abc.abstractmethod
    def list_accounts(self) -> list[CrmAccount]:
        """Every account, read in pages (company-name matching needs the whole set)."""

    @abc.abstractmethod
    def find_duplicates(self, emails: Iterable[str], *, names: Iterable[PersonKey] = (),
                        open_only: bool = False) -> dict[str, list[DuplicateMatch]]:
        """Leads / contacts with these emails, or with one of these first and last names and an
        email at its domain, by email; ``open_only``: only those a person works (not converted,
        not waiting in an intake queue)."""

    @abc.abstractmethod
    def assign(self, assignments: Sequence[AssignmentRequest]) -> list[AssignResult]: ...

    @abc.abstractmethod
    def read_outcomes(self, routed: Mapping[str, datetime]) -> list[Outcome]:
        """The outcome of each lead in ``routed`` (lead id -> when we wrote its owner), read by
        id in the CRM's batch sizes; its first activity is the first one at or after that time.
        Ids that name no record are absent."""

    @abc.abstractmethod
    def verify_webhook(self, headers: Mapping[str, str], method: str, url: str,
                       body: bytes) -> None:
        """Raise WebhookRejected unless the request really comes from this connection's CRM."""

    @abc.abstractmethod
    def parse_webhook(self, body: bytes) -> list[WebhookEvent]: ...

    @abc.abstractmethod
    def webhook_reply(self, events: Sequence[WebhookEvent]) -> WebhookReply:
        """What to answer once the events are stored (Salesforce needs its SOAP Ack)."""

    def unknown_fields(self) -> list[str]:
        """Each mapped CRM field (the field map's defaults, ``fields`` and ``extra_fields``, and
        the fields the adapter reads itself) that the CRM's own field list does not have, as a
        sentence naming it. Asks the CRM (Salesforce describe, HubSpot properties API)."""
        raise NotImplementedError(f"{type(self).__name__} cannot check its fields")

    def health(self) -> ConnectionHealth:
        """What this process's calls to the CRM saw (``ConnectionHealth``); no CRM call."""
        raise NotImplementedError(f"{type(self).__name__} keeps no health")

    def close(self) -> None:
        """Release HTTP pools; adapters are cheap to rebuild."""


def chunked(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def unique(items: Iterable[str]) -> list[str]:
    """Order-preserving de-duplication (batch endpoints answer each record once)."""
    seen: dict[str, None] = {}
    for item in items:
        if item not in (None, ""):
            seen.setdefault(str(item), None)
    return list(seen)


def person_keys(names: Iterable[PersonKey]) -> list[PersonKey]:
    """Each (first, last, domain) once, trimmed, the domain lowercased; incomplete ones dropped."""
    keys = ((first.strip(), last.strip(), domain.strip().lower()) for first, last, domain in names
            if first and last and domain)
    return list(dict.fromkeys(key for key in keys if all(key)))
