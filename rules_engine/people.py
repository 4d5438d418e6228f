"""Known people: open leads and contacts already in the CRM, for ``assign: existing_owner``.

The connector fetches them in batches (the adapters' duplicate lookup by the batch's emails and
names) and passes a ``KnownPeople`` index to ``decide``; ``simulate`` builds one from its own
decisions, so a second form fill in the same file goes to the first owner. A lead is the same
person as a record with the same email, or with the same first and last name at the same company
domain (its email domain, else its website domain; never a free-mail or disposable one). The
lead's own record (same id) is never its own duplicate. Ties: same email before same name, then
the most recent activity, then contacts before leads, then the record id.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from .quality import is_personal_domain
from .text import email_domain, fold, strip_accents

CONTACT, LEAD = "contact", "lead"


@dataclass(frozen=True, slots=True)
class KnownPerson:
    owner: str                          # rep id of the record's owner (the connector maps the CRM's id)
    record_id: str | None = None        # the CRM lead / contact id
    kind: str = LEAD                    # lead | contact
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_domain: str | None = None   # the record's company domain (default: its email domain)
    last_activity: datetime | None = None

    def key(self, rank: int) -> tuple:
        activity = self.last_activity.timestamp() if self.last_activity else float("-inf")
        return (rank, -activity, self.kind != CONTACT, self.record_id or "")


def _name_key(first, last, domain) -> tuple[str, str, str] | None:
    if not (first and last and domain) or is_personal_domain(domain):
        return None
    return (strip_accents(fold(first)), strip_accents(fold(last)), domain)


def lead_company_domain(lead) -> str | None:
    domain = lead.email_domain
    return domain if domain and not is_personal_domain(domain) else lead.website_domain


class KnownPeople:
    """An index of known people by email and by (first name, last name, company domain)."""

    def __init__(self, people: Iterable[KnownPerson] = ()):
        self._by_email: dict[str, list[KnownPerson]] = {}
        self._by_name: dict[tuple[str, str, str], list[KnownPerson]] = {}
        for person in people:
            self.add(person)

    def add(self, person: KnownPerson) -> None:
        if person.email:
            self._by_email.setdefault(fold(person.email), []).append(person)
        domain = person.company_domain or email_domain(person.email)
        key = _name_key(person.first_name, person.last_name, domain)
        if key is not None:
            self._by_name.setdefault(key, []).append(person)

    def find(self, lead) -> tuple[KnownPerson, str] | None:
        """The record of the same person and why it is the same person, or None."""
        found: list[tuple[tuple, KnownPerson, str]] = []
        if lead.email:
            for p in self._by_email.get(fold(lead.email), ()):
                found.append((p.key(0), p, f"the same email {lead.email}"))
        key = _name_key(lead.first_name, lead.last_name, lead_company_domain(lead))
        if key is not None:
            for p in self._by_name.get(key, ()):
                found.append((p.key(1), p, f"the same name {lead.first_name} {lead.last_name} at {key[2]}"))
        found = [f for f in found if not (lead.id and f[1].record_id == lead.id)]
        if not found:
            return None
        _, person, why = min(found, key=lambda f: f[0])
        return person, why
