"""The roster: reps of the active routing config (their fields live in the config, so adding,
editing or switching one off is a new version, through ``config_edit`` like every config edit),
overlaid with the ``reps`` table (CRM sync, and the quick pause, which is instant and needs no
new version: ``connector.routing.active.apply_overlay``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connector.platform.db import Database
from connector.platform.services import Invalid, NotFound, audit
from connector.routing import config_edit
from connector.routing import rules as rules_service
from connector.routing.crm_users import Person
from connector.routing.models import Rep
from connector.routing.starter import new_rep_id

# What the API's PATCH /roster/<id> changes; the pages edit every field of REP_FIELDS.
ROUTING_FIELDS = ("timezone", "hours", "away", "skills", "territories", "weight",
                  "max_open", "hourly_cap", "daily_cap", "weekly_cap", "active")
REP_FIELDS = ("name", "email", "crm", "slack", "holidays", *ROUTING_FIELDS)


def list_reps(db: Database) -> list[dict[str, Any]]:
    """Every rep of the config, plus reps only the CRM sync knows, with live pause state."""
    _, data = rules_service.active(db)
    with db.session() as session:
        rows = {rep.id: rep for rep in session.scalars(select(Rep))}
    teams: dict[str, list[str]] = {}
    for team in data.get("teams") or []:
        for member in team.get("members") or []:
            teams.setdefault(member, []).append(team.get("id"))
    out = []
    for rep in data.get("reps") or []:
        row = rows.pop(rep.get("id"), None)
        out.append(_merge(rep, row, teams.get(rep.get("id"), []), in_config=True))
    out += [_merge({"id": row.id, "name": row.name, "email": row.email}, row, [], in_config=False)
            for row in rows.values()]
    return out


def _merge(rep: dict[str, Any], row: Rep | None, teams: list[str], *, in_config: bool) -> dict[str, Any]:
    return {
        **rep,
        "name": rep.get("name") or (row.name if row else None) or rep["id"],
        "teams": teams,
        "in_config": in_config,
        "active": bool(rep.get("active", True)) and (row.active if row else True),
        "paused": bool(rep.get("paused", False)) or bool(row and row.paused),
        "paused_reason": row.paused_reason if row else None,
    }


def get_rep(db: Database, rep_id: str) -> dict[str, Any]:
    for rep in list_reps(db):
        if rep["id"] == rep_id:
            return rep
    raise NotFound(f"no rep {rep_id!r}")


def set_paused(db: Database, rep_id: str, paused: bool, *, actor: str, reason: str | None = None) -> dict[str, Any]:
    """Pause or unpause at once (the ``reps`` overlay), audited; no config version."""
    rep = get_rep(db, rep_id)
    reason = (reason or "").strip()[:255] or None
    with db.session() as session:
        row = session.get(Rep, rep_id)
        if row is None:
            row = Rep(id=rep_id, name=rep["name"][:200], email=rep.get("email"), active=True)
            session.add(row)
        row.paused, row.paused_reason = paused, (reason if paused else None)
        audit(session, actor, "rep.pause" if paused else "rep.unpause", "rep", rep_id,
              **({"reason": reason} if paused and reason else {}))
    if not paused and rep.get("in_config") and _config_pauses(db, rep_id):
        raise Invalid({"paused": [f"{rep_id} is also paused in the routing config itself: edit the rep "
                                  "to clear it there"]}, "still paused by the routing config")
    return get_rep(db, rep_id)


def _config_pauses(db: Database, rep_id: str) -> bool:
    _, data = rules_service.active(db)
    return any(r.get("id") == rep_id and r.get("paused") for r in data.get("reps") or [])


def update_rep(db: Database, rep_id: str, fields: dict[str, Any], *, actor: str,
               base_version: int | None = None) -> int:
    """Change a rep's fields (``REP_FIELDS``; None, '' or [] removes one): a new config version.
    Errors come back relative to the rep ('hours', 'territories[0].country')."""
    def change(data: dict[str, Any]) -> str:
        reps = data.setdefault("reps", [])
        index = config_edit.index_of(reps, rep_id, "rep")
        reps[index] = config_edit.apply(reps[index], fields, REP_FIELDS)
        return f"reps[{index}]"

    return config_edit.edit(db, change, actor=actor, action="rep.update", comment=f"edited rep {rep_id}",
                            base_version=base_version)


def create_rep(db: Database, fields: dict[str, Any], *, actor: str, teams: list[str] = (),
               base_version: int | None = None) -> int:
    """A new rep (``id`` plus any of ``REP_FIELDS``), appended to ``teams``' rotations: a new version."""
    rep_id = str(fields.get("id") or "").strip()

    def change(data: dict[str, Any]) -> str:
        reps = data.setdefault("reps", [])
        if any(isinstance(r, dict) and r.get("id") == rep_id for r in reps):
            raise Invalid({"id": [f"there is already a rep {rep_id!r}"]})
        reps.append(config_edit.apply({"id": rep_id}, fields, REP_FIELDS))
        for team in data.get("teams") or []:
            if team.get("id") in teams and rep_id not in (team.get("members") or []):
                team["members"] = [*(team.get("members") or []), rep_id]
        return f"reps[{len(reps) - 1}]"

    return config_edit.edit(db, change, actor=actor, action="rep.create", comment=f"added rep {rep_id}",
                            base_version=base_version)


def add_person(db: Database, person: Person, *, actor: str, slack: str | None = None) -> tuple[str, int]:
    """A rep made from a CRM person (``crm_users.unlinked``): an id from the email, the name, the
    email and an owner id per connection. Returns (rep id, version)."""
    _, data = rules_service.active(db)
    rep_id = new_rep_id(person.email or person.name, {str(r.get("id")) for r in data.get("reps") or []})
    fields = {"id": rep_id, "name": person.name, "email": person.email, "crm": dict(person.crm), "slack": slack}
    return rep_id, create_rep(db, fields, actor=actor)


def deactivate(db: Database, rep_id: str, active: bool, *, actor: str) -> int:
    """Switch a rep off (``active: false``: no leads until switched back on) or on again."""
    return update_rep(db, rep_id, {"active": None if active else False}, actor=actor)
