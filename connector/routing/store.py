"""Routing config versions: validate with the engine, store every save as a new version,
exactly one active. The CLI, the settings page and the API all go through here.

Who owns the rules: when ``LEADROUTER_ROUTING_CONFIG`` names a file, that file does (config as
code): it is stored at start, and every other save is refused with ``ManagedByFile`` (the CLI's
``rules import``, the settings page, the API). Without it, the database owns them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, update

from connector.platform.db import Database
from connector.platform.models import AuditLog
from connector.routing.models import RoutingConfigVersion


class InvalidConfig(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class ManagedByFile(InvalidConfig):
    """The rules are read-only here: ``LEADROUTER_ROUTING_CONFIG`` manages them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__([refusal(path)])


def refusal(path: Path) -> str:
    return (f"the routing rules are managed by the file {path} (LEADROUTER_ROUTING_CONFIG): change that file "
            "and restart leadrouter, or unset the variable to manage the rules here")


def managed_file(db: Database) -> Path | None:
    """The file that owns the rules (read-only everywhere else), or None: the database owns them."""
    return db.routing_file


def read_file(path: str | Path) -> str:
    """A routing config file's text (UTF-8, a byte-order mark allowed); InvalidConfig saying so
    when its bytes are not UTF-8 (found by tests/fuzz/test_files_fuzz.py: a traceback before)."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidConfig([f"not UTF-8 text: {exc.reason} at byte {exc.start}"]) from None


def validate_text(text: str) -> list[str]:
    """The engine's errors for this config text, one line each with its path; [] when valid."""
    from rules_engine import ConfigError, load_config

    try:
        load_config(text)
    except ConfigError as exc:
        return [f"{error.path}: {error.message}" if error.path else error.message for error in exc.errors]
    return []


def _format_of(text: str) -> str:
    return "json" if text.lstrip().startswith("{") else "yaml"


def save_version(db: Database, text: str, *, actor: str, comment: str | None = None,
                 action: str = "routing_config.import", detail: dict | None = None, from_file: bool = False) -> int:
    """Validate, then store as the new active version (all or nothing). Returns its number.
    ``action`` and ``detail`` go to the audit row (the settings page says what changed).
    When a file manages the rules, only its own import (``from_file=True``) may save."""
    owner = managed_file(db)
    if owner is not None and not from_file:
        raise ManagedByFile(owner)
    errors = validate_text(text)
    if errors:
        raise InvalidConfig(errors)
    with db.session() as session:
        number = (session.scalar(select(func.max(RoutingConfigVersion.version))) or 0) + 1
        session.execute(update(RoutingConfigVersion).where(RoutingConfigVersion.active.is_(True))
                        .values(active=False))
        session.add(RoutingConfigVersion(version=number, body=text, format=_format_of(text), active=True,
                                         created_by=actor, comment=comment))
        session.add(AuditLog(actor=actor, action=action, object_type="routing_config", object_id=str(number),
                             detail={**(detail or {}), **({"comment": comment} if comment else {})}))
    return number


def get_version(db: Database, number: int | None = None) -> RoutingConfigVersion | None:
    """A stored version by number, or the active one."""
    with db.session() as session:
        query = select(RoutingConfigVersion)
        query = query.where(RoutingConfigVersion.version == number) if number is not None else \
            query.where(RoutingConfigVersion.active.is_(True))
        return session.scalars(query).first()
