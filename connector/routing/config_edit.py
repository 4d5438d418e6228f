"""Editing one part of the routing config (a rep, a team, the defaults) from the pages and the
API: the same path as rule edits. The active version's data is changed, the engine validates the
whole config (every problem with its path), and ``rules.save_data`` stores it as a new version
with its change summary and audit row (a stale ``base_version`` is refused; an unchanged config
stores nothing and returns the active number).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from connector.platform.db import Database
from connector.platform.services import Invalid, NotFound
from connector.routing import rules as rules_service

DEFAULT_KEYS = ("timezone", "fallback", "notify", "sla", "auto_pause", "digest", "quality")


def edit(db: Database, change: Callable[[dict[str, Any]], str | None], *, actor: str, action: str, comment: str,
         base_version: int | None = None) -> int:
    """``change(data)`` edits the config's data in place and returns the config path of the item
    it changed ('reps[2]'), whose errors are then given relative to it ('hours'), or None."""
    rules_service.check_writable(db)
    number, data = rules_service.active(db)
    before = copy.deepcopy(data)
    prefix = change(data)
    if number is not None and data == before:
        return number   # nothing changed (the stored text may be spelled otherwise: it stays)
    errors = rules_service.engine_errors(data)
    if errors:
        raise Invalid(rules_service.relative_errors(errors, prefix) if prefix else errors)
    return rules_service.save_data(db, data, actor=actor, action=action, comment=comment, base_version=base_version)


def index_of(items: list[dict[str, Any]], item_id: str, what: str) -> int:
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == item_id:
            return index
    raise NotFound(f"no {what} {item_id!r} in the routing config")


def apply(item: dict[str, Any], fields: dict[str, Any], keys: tuple[str, ...],
          empty: tuple[Any, ...] = (None, "", [])) -> dict[str, Any]:
    """``item`` with ``fields`` laid over it: a key given as one of ``empty`` is removed."""
    out = dict(item)
    for key in keys:
        if key in fields:
            if any(fields[key] is e or (fields[key] == e and type(fields[key]) is type(e)) for e in empty):
                out.pop(key, None)
            else:
                out[key] = fields[key]
    return out


def save_defaults(db: Database, values: dict[str, Any], *, actor: str, base_version: int | None = None) -> int:
    """The config's top-level sections (``DEFAULT_KEYS``): a value of None removes the key."""
    unknown = sorted(set(values) - set(DEFAULT_KEYS))
    if unknown:
        raise Invalid({key: [f"not one of the defaults ({', '.join(DEFAULT_KEYS)})"] for key in unknown})

    def change(data: dict[str, Any]) -> None:
        changed = apply(data, values, DEFAULT_KEYS, empty=(None,))  # notify: [] is 'nobody'
        data.clear()
        data.update(changed)

    return edit(db, change, actor=actor, action="routing_config.defaults", comment="edited the defaults",
                base_version=base_version)
