"""The roster: reps of the active routing config (their routing fields live in the config, so
editing them is a new version) overlaid with the ``reps`` table (CRM sync, and the quick pause,
which is instant and needs no new version: ``connector.routing.apply_overlay``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connector.platform.db import Database
from connector.routing.models import Rep
from connector.platform.services import Invalid, NotFound, audit
from connector.routing import rules as rules_service

ROUTING_FIELDS = ("timezone", "hours", "away", "skills", "territories", "weight",
                  "max_open", "hourly_cap", "daily_cap", "weekly_cap", "active")


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
    """Change a rep's routing fields (hours, skills, caps…): a new config version."""
    _, data = rules_service.active(db)
    reps = list(data.get("reps") or [])
    for index, rep in enumerate(reps):
        if rep.get("id") == rep_id:
            break
    else:
        raise NotFound(f"no rep {rep_id!r} in the routing config")
    updated = dict(rep)
    for key in ROUTING_FIELDS:
        if key in fields:
            if fields[key] in (None, "", []):
                updated.pop(key, None)
            else:
                updated[key] = fields[key]
    reps[index] = updated
    data["reps"] = reps
    errors = rules_service.engine_errors(data)
    if errors:
        prefix = f"reps[{index}]"
        raise Invalid({(path[len(prefix) + 1:] if path.startswith(prefix + ".") else path): messages
                       for path, messages in errors.items()})
    return rules_service.save_data(db, data, actor=actor, action="rep.update", base_version=base_version,
                                   comment=f"edited rep {rep_id}")
