"""Rules and versions: every edit is a new routing config version (via ``routing_store``),
validated by the engine first; rollback stores an older body again as the newest version.

The config is edited as data (the parsed YAML): editing one rule rewrites the document, so
YAML comments of an imported file do not survive a page edit (export keeps the stored text).
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml
from sqlalchemy import select

from connector.routing import store as routing_store
from connector.platform.db import Database
from connector.routing.models import RoutingConfigVersion
from connector.platform.services import Invalid, NotFound, ServiceError, check_id
from rules_engine import ConfigError, load_config

EMPTY = {"version": 1, "timezone": "UTC", "reps": [], "teams": [], "rules": []}


class StaleEdit(ServiceError):
    status = 409


class ReadOnly(ServiceError):
    """``LEADROUTER_ROUTING_CONFIG`` manages the rules: no edit, import or rollback here (409)."""
    status = 409


def managed_file(db: Database):
    """The file that owns the rules (the pages show it, read-only), or None."""
    return routing_store.managed_file(db)


def check_writable(db: Database) -> None:
    owner = routing_store.managed_file(db)
    if owner is not None:
        raise ReadOnly(routing_store.refusal(owner))


def parse(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid([f"not valid YAML or JSON: {exc}"]) from None
    if not isinstance(data, dict):
        raise Invalid(["a routing config must be a mapping"])
    return data


def to_text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def engine_errors(text_or_data: str | dict) -> dict[str, list[str]]:
    """The engine's problems keyed by config path ('rules[2].when.all[0].value'); {} when valid."""
    try:
        load_config(text_or_data)
    except ConfigError as exc:
        out: dict[str, list[str]] = {}
        for issue in exc.errors:
            out.setdefault(issue.path, []).append(issue.message)
        return out
    return {}


def active(db: Database) -> tuple[int | None, dict[str, Any]]:
    """(active version number or None, its data); an empty config before the first save."""
    row = routing_store.get_version(db)
    if row is None:
        return None, {key: (list(value) if isinstance(value, list) else value) for key, value in EMPTY.items()}
    return row.version, parse(row.body)


def save_text(db: Database, text: str, *, actor: str, comment: str | None = None,
              action: str = "routing_config.import", base_version: int | None = None) -> int:
    check_writable(db)
    errors = engine_errors(text)
    if errors:
        raise Invalid(errors)
    current = routing_store.get_version(db)
    if base_version is not None and current is not None and current.version != base_version:
        raise StaleEdit(f"version {current.version} was saved by {current.created_by} while you were editing: "
                        "reload the page and make your change again")
    if current is not None and current.body == text:
        return current.version  # nothing changed: CI pushing the same file on every merge makes no version
    summary = summarize(parse(current.body) if current else EMPTY, parse(text))
    try:
        return routing_store.save_version(db, text, actor=actor, comment=comment, action=action,
                                          detail={"changes": summary})
    except routing_store.InvalidConfig as exc:  # the same engine: only a race could get here
        raise Invalid(exc.errors) from None


def save_data(db: Database, data: dict[str, Any], **kwargs: Any) -> int:
    return save_text(db, to_text(data), **kwargs)


def summarize(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed, in words: rules and reps added, removed, changed, reordered."""
    out = []
    for kind, key in (("rule", "name"), ("rep", "id"), ("team", "id")):
        old = {item.get(key): item for item in before.get(f"{kind}s") or [] if isinstance(item, dict)}
        new = {item.get(key): item for item in after.get(f"{kind}s") or [] if isinstance(item, dict)}
        out += [f"{kind} {name} added" for name in new if name not in old]
        out += [f"{kind} {name} removed" for name in old if name not in new]
        out += [f"{kind} {name} changed" for name in new if name in old and new[name] != old[name]]
        if kind == "rule" and [n for n in old if n in new] != [n for n in new if n in old]:
            out.append("rules reordered")
    rest = [k for k in set(before) | set(after) if k not in ("rules", "reps", "teams") and before.get(k) != after.get(k)]
    out += [f"{k} changed" for k in sorted(rest)]
    return out


# -- rules ----------------------------------------------------------------------------------
def relative_errors(errors: dict[str, list[str]], prefix: str) -> dict[str, list[str]]:
    """Engine paths of one item made relative to it (rules[3].when.all[0].value -> when.all[0].value;
    the item's own path -> ''); paths elsewhere in the config stay as they are."""
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        if path == prefix:
            key = ""
        elif path.startswith(prefix + "."):
            key = path[len(prefix) + 1:]
        else:
            key = path
        out.setdefault(key, []).extend(messages)
    return out


def save_rule(db: Database, index: int | None, rule: dict[str, Any], *, actor: str,
              base_version: int | None = None) -> int:
    """Replace rule ``index`` (or append when None) and save a new version; saving a rule
    unchanged is a no-op (no new version, the active number is returned)."""
    check_writable(db)
    number, data = active(db)
    rules = list(data.get("rules") or [])
    if index is not None and not 0 <= index < len(rules):
        raise NotFound(f"no rule number {index + 1}")
    if index is not None and rules[index] == rule and number is not None:
        return number
    position = len(rules) if index is None else index
    old_name = rules[index].get("name") if index is not None else None
    rules[position:position + (index is not None)] = [rule]
    data["rules"] = rules
    errors = engine_errors(data)
    if errors:
        raise Invalid(relative_errors(errors, f"rules[{position}]"))
    action = "rule.update" if index is not None else "rule.create"
    return save_data(db, data, actor=actor, action=action, base_version=base_version,
                     comment=f"{'edited' if index is not None else 'added'} rule {rule.get('name') or old_name}")


def delete_rule(db: Database, index: int, *, actor: str) -> int:
    check_writable(db)
    number, data = active(db)
    rules = list(data.get("rules") or [])
    if not 0 <= index < len(rules):
        raise NotFound(f"no rule number {index + 1}")
    removed = rules.pop(index)
    data["rules"] = rules
    return save_data(db, data, actor=actor, action="rule.delete", comment=f"deleted rule {removed.get('name')}")


DIRECTIONS = ("up", "down")


def move_rule(db: Database, index: int, direction: str, *, actor: str) -> int:
    """Move a rule one place ``up`` or ``down`` (rules run top to bottom)."""
    check_writable(db)
    number, data = active(db)
    rules = list(data.get("rules") or [])
    target = index - 1 if direction == "up" else index + 1
    if direction not in DIRECTIONS:
        raise Invalid({"direction": ["up or down"]})
    if not 0 <= index < len(rules) or not 0 <= target < len(rules):
        raise NotFound("that rule cannot move further")
    rules[index], rules[target] = rules[target], rules[index]
    data["rules"] = rules
    return save_data(db, data, actor=actor, action="rule.move",
                     comment=f"moved rule {rules[target].get('name')} {direction}")


def reorder_rules(db: Database, names: list[str], *, actor: str) -> int:
    """Put the rules in this order (drag and drop); the names must be exactly the current ones."""
    check_writable(db)
    number, data = active(db)
    rules = {r.get("name"): r for r in data.get("rules") or []}
    if sorted(names) != sorted(rules):
        raise Invalid({"order": ["the list of rules changed meanwhile: reload the page"]})
    data["rules"] = [rules[name] for name in names]
    return save_data(db, data, actor=actor, action="rule.move", comment="reordered rules")


# -- versions -------------------------------------------------------------------------------
def list_versions(db: Database, limit: int = 50) -> list[RoutingConfigVersion]:
    with db.session() as session:
        return list(session.scalars(select(RoutingConfigVersion)
                                    .order_by(RoutingConfigVersion.version.desc()).limit(limit)))


def get_version(db: Database, number: int) -> RoutingConfigVersion:
    row = routing_store.get_version(db, check_id(number, "routing config version"))
    if row is None:
        raise NotFound(f"no routing config version {number}")
    return row


def diff(db: Database, number: int) -> dict[str, Any]:
    """Version ``number`` against the one saved before it: the change summary and a unified diff."""
    row = get_version(db, number)
    with db.session() as session:
        previous = session.scalar(select(RoutingConfigVersion).where(RoutingConfigVersion.version < number)
                                  .order_by(RoutingConfigVersion.version.desc()).limit(1))
    before = previous.body if previous else ""
    lines = difflib.unified_diff(before.splitlines(), row.body.splitlines(), lineterm="",
                                 fromfile=f"version {previous.version}" if previous else "(nothing)",
                                 tofile=f"version {number}")
    try:
        summary = summarize(parse(before) if before else EMPTY, parse(row.body))
    except Invalid:
        summary = []
    return {"version": number, "previous": previous.version if previous else None,
            "summary": summary, "diff": "\n".join(lines)}


def rollback(db: Database, number: int, *, actor: str) -> int:
    """Make version ``number``'s body active again, as a new version (history is never rewritten)."""
    check_writable(db)
    row = get_version(db, number)
    return save_text(db, row.body, actor=actor, action="routing_config.rollback",
                     comment=f"rolled back to version {number}")
