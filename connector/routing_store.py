"""Routing config versions: validate with the engine, store every save as a new version,
exactly one active. The CLI, the settings page and the API all go through here."""

from __future__ import annotations

from sqlalchemy import func, select, update

from connector.db import Database
from connector.models import AuditLog, RoutingConfigVersion


class InvalidConfig(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


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
                 action: str = "routing_config.import", detail: dict | None = None) -> int:
    """Validate, then store as the new active version (all or nothing). Returns its number.
    ``action`` and ``detail`` go to the audit row (the settings page says what changed)."""
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
