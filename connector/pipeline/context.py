"""What a batch reads before deciding, besides its leads: the CRM's accounts (``assign:
account_owner``) and the people of the batch already in the CRM (``assign: existing_owner``).

Accounts: every account of the connection, read in pages by the adapter (company-name matching
needs the whole set), built into one ``AccountIndex`` and kept per (connection, config version)
for ``ACCOUNTS_TTL``: a batch costs no account query while the index is fresh, never one per
lead. An account's owner is the rep whose ``crm:`` owner id it is, else ``crm:<owner id>`` (the
engine says "not a rep here" and goes on).

Known people: the open leads and contacts with the batch's emails, or the same first and last
name at the same company domain (one duplicate lookup per batch), plus the leads this connection
assigned in the last ``RECENT`` (a second form fill that arrives before the first one's owner
is written, or in the next batch, gets the same owner).
``Context.assigned`` adds each new assignment, so two events of one person in one batch agree.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import CrmAccount, CrmAdapter, DuplicateMatch, LeadRecord
from connector.pipeline.models import Assignment, LeadStatus
from rules_engine import RoutingConfig
from rules_engine.accounts import Account, AccountIndex
from rules_engine.people import CONTACT, LEAD, KnownPeople, KnownPerson, lead_company_domain

ACCOUNTS_TTL = timedelta(minutes=10)
RECENT = timedelta(minutes=10)
ROUTED = (LeadStatus.DECIDED, LeadStatus.WRITTEN, LeadStatus.NOTIFIED)


def _owner(config: RoutingConfig, owner_keys: tuple[str, ...], owner_id: str) -> str:
    return config.rep_for_owner(owner_keys, owner_id) or f"crm:{owner_id}"


def accounts_of(found: Iterable[CrmAccount], config: RoutingConfig, owner_keys: tuple[str, ...]) -> list[Account]:
    """The CRM's accounts in the engine's model: those with an owner and a domain or a name."""
    return [Account(owner=_owner(config, owner_keys, a.owner_id), domain=a.domain, name=a.name,
                    id=a.account_id, last_activity=a.last_activity)
            for a in found if a.owner_id and (a.domain or a.name)]


def person_of(match: DuplicateMatch, config: RoutingConfig, owner_keys: tuple[str, ...]) -> KnownPerson:
    kind = CONTACT if match.record_type.lower().startswith("contact") else LEAD
    return KnownPerson(owner=_owner(config, owner_keys, match.owner_id), record_id=match.record_id, kind=kind,
                       email=match.email, first_name=match.first_name, last_name=match.last_name,
                       company_domain=match.company_domain, last_activity=match.last_activity)


class AccountCache:
    """One ``AccountIndex`` per (connection, config version), read again after ``ttl``."""

    def __init__(self, ttl: timedelta = ACCOUNTS_TTL, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.monotonic = ttl.total_seconds(), monotonic
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, float, AccountIndex]] = {}

    def index(self, connection: str, version: int, adapter: CrmAdapter, config: RoutingConfig,
              owner_keys: tuple[str, ...]) -> AccountIndex:
        with self._lock:
            entry = self._entries.get(connection)
        if entry is not None and entry[0] == version and self.monotonic() - entry[1] < self.ttl:
            return entry[2]
        index = AccountIndex(accounts_of(adapter.list_accounts(), config, owner_keys))
        with self._lock:
            self._entries[connection] = (version, self.monotonic(), index)
        return index


@dataclass
class Context:
    """What ``decide`` gets besides the lead: ``accounts`` and ``people`` (None: no rule wants them)."""

    accounts: AccountIndex | None = None
    people: KnownPeople | None = None

    def remember(self, people: Iterable[KnownPerson]) -> None:
        if self.people is not None:
            for person in people:
                self.people.add(person)

    def assigned(self, rec: LeadRecord, rep: str) -> None:
        """A lead of this batch got ``rep``: the same person later in the batch gets them too."""
        if self.people is not None:
            lead = rec.lead
            self.people.add(KnownPerson(owner=rep, record_id=rec.id, email=lead.email, first_name=lead.first_name,
                                        last_name=lead.last_name, company_domain=lead.email_domain))


def recent_people(session: Session, connection: str, since: datetime) -> list[KnownPerson]:
    """The leads this connection routed since ``since``, as known people (by their email)."""
    rows = session.execute(select(Assignment.lead_id, Assignment.rep_id, Assignment.lead_summary)
                           .where(Assignment.connection == connection, Assignment.status.in_(ROUTED),
                                  Assignment.rep_id.is_not(None), Assignment.decided_at >= since))
    return [KnownPerson(owner=rep, record_id=lead_id, email=summary["email"])
            for lead_id, rep, summary in rows if (summary or {}).get("email")]


def read_context(cache: AccountCache, *, connection: str, version: int, adapter: CrmAdapter,
                 config: RoutingConfig, owner_keys: tuple[str, ...], records: Iterable[LeadRecord]) -> Context:
    """The batch's accounts and known people from the CRM, each only when a rule of ``config``
    wants them: at most one account listing (none while cached) and one duplicate lookup. The
    recent assignments are added in the batch's transaction (``Context.remember``)."""
    compiled, context = config.compiled, Context()
    if compiled.needs_accounts:
        context.accounts = cache.index(connection, version, adapter, config, owner_keys)
    if compiled.needs_people:
        leads = [r.lead for r in records]
        emails = [lead.email for lead in leads if lead.email]
        names = [(lead.first_name, lead.last_name, domain) for lead in leads
                 if lead.first_name and lead.last_name and (domain := lead_company_domain(lead))]
        found = adapter.find_duplicates(emails, names=names, open_only=True) if emails or names else {}
        context.people = KnownPeople(person_of(m, config, owner_keys) for ms in found.values() for m in ms
                                     if m.owner_id)
    return context
