"""Teams of the routing config: add, edit (members in rotation order, manager, channel,
holidays), delete. Every save is a new config version through ``config_edit``, like rule edits;
the engine refuses a team a rule still targets, or a member who is not a rep, at its field."""

from __future__ import annotations

from typing import Any

from connector.platform.db import Database
from connector.platform.services import Invalid
from connector.routing import config_edit

TEAM_FIELDS = ("name", "members", "manager", "channel", "holidays")


def save_team(db: Database, team_id: str | None, fields: dict[str, Any], *, actor: str,
              base_version: int | None = None) -> int:
    """Replace team ``team_id``'s fields (``TEAM_FIELDS``), or add a team (``team_id`` None,
    ``fields["id"]`` naming it). Errors come back relative to the team ('members[1]', 'channel')."""
    new_id = str(fields.get("id") or "").strip()

    def change(data: dict[str, Any]) -> str:
        teams = data.setdefault("teams", [])
        if team_id is None:
            if any(isinstance(t, dict) and t.get("id") == new_id for t in teams):
                raise Invalid({"id": [f"there is already a team {new_id!r}"]})
            teams.append(config_edit.apply({"id": new_id, "members": []}, fields, TEAM_FIELDS))
            return f"teams[{len(teams) - 1}]"
        index = config_edit.index_of(teams, team_id, "team")
        teams[index] = config_edit.apply(teams[index], fields, TEAM_FIELDS)
        teams[index].setdefault("members", [])   # an empty rotation is a team still
        return f"teams[{index}]"

    action, comment = ("team.create", f"added team {new_id}") if team_id is None else \
        ("team.update", f"edited team {team_id}")
    return config_edit.edit(db, change, actor=actor, action=action, comment=comment, base_version=base_version)


def delete_team(db: Database, team_id: str, *, actor: str) -> int:
    def change(data: dict[str, Any]) -> None:
        teams = data.setdefault("teams", [])
        teams.pop(config_edit.index_of(teams, team_id, "team"))

    return config_edit.edit(db, change, actor=actor, action="team.delete", comment=f"deleted team {team_id}")
