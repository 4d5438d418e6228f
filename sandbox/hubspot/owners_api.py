"""The owners API: ``GET /crm/v3/owners/`` (active or archived, by email, paged) and
``GET /crm/v3/owners/{ownerId}`` (or by ``idProperty=userId``), as HubSpot's CRM owners v3."""
from __future__ import annotations

from typing import TYPE_CHECKING

import flask

import sandbox.hubspot.errors as errors

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.hubspot.state import HubSpotState


def register(bp: flask.Blueprint, state: "HubSpotState") -> None:
    """`GET /crm/v3/owners/` (with or without the trailing slash) and `/crm/v3/owners/{id}`."""

    @bp.get("/crm/v3/owners")
    @bp.get("/crm/v3/owners/")
    def list_owners():
        args = flask.request.args
        limit = int(args.get("limit", 100))
        if not 1 <= limit <= 500:
            raise errors.validation(f"limit must be between 1 and 500; got {limit}")
        after = int(args.get("after") or 0)
        archived = args.get("archived", "false").lower() == "true"
        with state.sandbox.lock:
            owners = [o for o in state.owners.listing(archived=archived, email=args.get("email"))
                      if int(o.id) >= after]
        body: dict = {"results": [o.to_json() for o in owners[:limit]]}
        if len(owners) > limit:
            cursor = owners[limit].id
            query = f"limit={limit}&after={cursor}" + ("&archived=true" if archived else "")
            body["paging"] = {"next": {"after": cursor,
                                       "link": f"{state.sandbox.base_url}/crm/v3/owners/?{query}"}}
        return errors.response(200, body)

    @bp.get("/crm/v3/owners/<owner_id>")
    def get_owner(owner_id: str):
        args = flask.request.args
        archived = args.get("archived", "false").lower() == "true"
        by_user = args.get("idProperty") == "userId"
        with state.sandbox.lock:
            owner = next((o for o in state.owners.owners.values() if o.archived == archived and
                          (str(o.user_id) if by_user else o.id) == owner_id), None)
        if owner is None:
            raise errors.object_not_found()
        return errors.response(200, owner.to_json())
