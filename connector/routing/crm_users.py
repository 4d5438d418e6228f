"""Each CRM connection's users as the last roster sync saw them (``crm_users``): the rep editor
picks a rep's owner id per connection from them, and the roster offers, with one click, the
people no rep is linked to yet (one person across connections by email, so a rep in HubSpot and
Salesforce becomes one rep with both owner ids).

The scheduled roster sync stores them (``LEADROUTER_ROSTER_SYNC_SECONDS``); the roster page's
"Read users from the CRMs" stores them at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from adapters import CrmError, CrmUser
from connector.platform.db import Database
from connector.routing.models import SyncedCrmUser

OwnerKeys = Callable[[str], tuple[str, ...]]   # connection name -> keys of reps' crm: (Connections.owner_keys)


@dataclass
class Person:
    """One person of the CRMs (matched by email across connections) no rep is linked to."""

    key: str                                  # email (lower case), else "connection:user id"
    name: str
    email: str | None
    crm: dict[str, str] = field(default_factory=dict)   # connection name -> user id


def store(db: Database, connection: str, users: Iterable[CrmUser]) -> int:
    """Replace what is known of ``connection``'s users with ``users``; how many were stored."""
    now = datetime.now(UTC)
    unique = {str(u.id): u for u in users}
    with db.session() as session:
        session.execute(delete(SyncedCrmUser).where(SyncedCrmUser.connection == connection))
        session.add_all(SyncedCrmUser(connection=connection, user_id=user_id[:64], email=(u.email or None),
                                      name=(u.name or u.email or user_id)[:200], active=bool(u.active), synced_at=now)
                        for user_id, u in unique.items())
    return len(unique)


def refresh(db: Database, connections: Any) -> dict[str, str]:
    """Read every connection's users now; per connection "N users" or why it could not."""
    out = {}
    for name in connections.names():
        try:
            out[name] = f"{store(db, name, connections.adapter(name).read_roster())} users"
        except CrmError as exc:
            out[name] = f"not read: {exc}"
    return out


def by_connection(db: Database) -> dict[str, list[SyncedCrmUser]]:
    """connection name -> its users, active first, by name."""
    with db.session() as session:
        rows = session.scalars(select(SyncedCrmUser).order_by(SyncedCrmUser.connection, SyncedCrmUser.active.desc(),
                                                              SyncedCrmUser.name))
        out: dict[str, list[SyncedCrmUser]] = {}
        for row in rows:
            out.setdefault(row.connection, []).append(row)
        return out


def _linked(data: dict[str, Any], owner_keys: OwnerKeys, connection: str) -> tuple[set[str], set[str]]:
    """(owner ids, emails) of the config's reps for ``connection``."""
    keys = owner_keys(connection)
    ids, emails = set(), set()
    for rep in data.get("reps") or []:
        crm = rep.get("crm") or {}
        ids |= {str(crm[key]) for key in keys if key in crm}
        if rep.get("email"):
            emails.add(str(rep["email"]).lower())
    return ids, emails


def unlinked(users: dict[str, list[SyncedCrmUser]], data: dict[str, Any], owner_keys: OwnerKeys) -> list[Person]:
    """Active CRM users whose owner id no rep holds and whose email no rep has, one Person per
    email across connections."""
    people: dict[str, Person] = {}
    for connection, rows in users.items():
        ids, emails = _linked(data, owner_keys, connection)
        for row in rows:
            email = (row.email or "").lower()
            if not row.active or row.user_id in ids or (email and email in emails):
                continue
            key = email or f"{connection}:{row.user_id}"
            person = people.setdefault(key, Person(key, row.name, row.email))
            person.crm.setdefault(connection, row.user_id)
    return sorted(people.values(), key=lambda p: p.name.lower())


def suggested_owner(users: list[SyncedCrmUser], email: str | None) -> str | None:
    """The user id of the connection's user with this email (a rep not linked there yet)."""
    wanted = (email or "").lower()
    return next((u.user_id for u in users if wanted and (u.email or "").lower() == wanted), None)
