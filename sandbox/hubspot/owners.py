"""HubSpot owners (`/crm/v3/owners`), seeded from the demo org's reps.

An owner has its own `id` (what `hubspot_owner_id` holds) and the user's `userId`; archived
(deactivated) owners are listed only with `archived=true`, keep their `id`, and have `userId`
null with the id kept in `userIdIncludingInactive` (HubSpot's owners guide).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sandbox.hubspot.properties import iso


@dataclass
class Owner:
    id: str
    email: str
    first_name: str
    last_name: str
    user_id: int
    created_at: datetime
    updated_at: datetime
    teams: list[dict]
    archived: bool = False
    key: str | None = None   # the demo rep's handle, for tests and control calls

    def to_json(self) -> dict:
        return {
            "id": self.id, "email": self.email, "type": "PERSON",
            "firstName": self.first_name, "lastName": self.last_name,
            "userId": None if self.archived else self.user_id,
            "userIdIncludingInactive": self.user_id,
            "createdAt": iso(self.created_at), "updatedAt": iso(self.updated_at),
            "archived": self.archived, "teams": [dict(t) for t in self.teams],
        }


class OwnerDirectory:
    def __init__(self) -> None:
        self.owners: dict[str, Owner] = {}

    def reset(self) -> None:
        self.owners.clear()

    def add(self, owner: Owner) -> Owner:
        self.owners[owner.id] = owner
        return owner

    def active_id(self, owner_id: str) -> bool:
        """Only active owners can own records."""
        owner = self.owners.get(str(owner_id))
        return owner is not None and not owner.archived

    def listing(self, *, archived: bool, email: str | None) -> list[Owner]:
        found = [o for o in self.owners.values() if o.archived == archived
                 and (email is None or o.email.lower() == email.lower())]
        return sorted(found, key=lambda o: int(o.id))

    def by_key(self, key: str) -> Owner | None:
        return next((o for o in self.owners.values() if o.key == key), None)

    def by_email(self, email: str) -> Owner | None:
        return next((o for o in self.owners.values() if o.email.lower() == email.lower()), None)
