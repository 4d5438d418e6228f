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


def register(bp, vendor) -> None:
    """`GET /crm/v3/owners/` (with or without the trailing slash) and `/crm/v3/owners/{id}`."""
    import flask

    from sandbox.hubspot import errors


    @bp.get("/crm/v3/owners")
    @bp.get("/crm/v3/owners/")
    def list_owners():
        args = flask.request.args
        limit = int(args.get("limit", 100))
        if not 1 <= limit <= 500:
            raise errors.validation(f"limit must be between 1 and 500; got {limit}")
        after = int(args.get("after") or 0)
        archived = args.get("archived", "false").lower() == "true"
        with vendor.sandbox.lock:
            owners = [o for o in vendor.owners.listing(archived=archived, email=args.get("email"))
                      if int(o.id) >= after]
        body: dict = {"results": [o.to_json() for o in owners[:limit]]}
        if len(owners) > limit:
            cursor = owners[limit].id
            query = f"limit={limit}&after={cursor}" + ("&archived=true" if archived else "")
            body["paging"] = {"next": {"after": cursor,
                                       "link": f"{vendor.sandbox.base_url}/crm/v3/owners/?{query}"}}
        return errors.response(200, body)

    @bp.get("/crm/v3/owners/<owner_id>")
    def get_owner(owner_id: str):
        args = flask.request.args
        archived = args.get("archived", "false").lower() == "true"
        by_user = args.get("idProperty") == "userId"
        with vendor.sandbox.lock:
            owner = next((o for o in vendor.owners.owners.values() if o.archived == archived and
                          (str(o.user_id) if by_user else o.id) == owner_id), None)
        if owner is None:
            raise errors.object_not_found()
        return errors.response(200, owner.to_json())
