"""The service layer shared by the settings pages and the JSON API.

Every change goes through here, so a page and its API twin cannot drift apart: the same
validation, the same new routing config version, the same audit row. Functions take the
``Database`` and an ``actor`` (the signed-in user's email) and raise the errors below.

    ServiceError          base: a request the service refuses (shown to the user, HTTP 4xx)
      NotFound            the object does not exist (404)
      Invalid             the input is wrong; ``.errors`` maps a field or config path to messages (422)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from connector.platform.models import AuditLog


class ServiceError(Exception):
    status = 400


class NotFound(ServiceError):
    status = 404


class Invalid(ServiceError):
    status = 422

    def __init__(self, errors: dict[str, list[str]] | list[str], message: str = "please fix the errors below") -> None:
        super().__init__(message)
        self.errors = errors if isinstance(errors, dict) else {"": list(errors)}

    def messages(self) -> list[str]:
        return [f"{path}: {m}" if path else m for path, items in self.errors.items() for m in items]


MAX_ID = 2**63 - 1  # the largest id a database integer holds; larger ones name nothing


def check_id(value: int, what: str) -> int:
    """An id from a URL: anything a BIGINT cannot hold is simply not found (not a crash)."""
    if not 0 < value <= MAX_ID:
        raise NotFound(f"no {what} {value}")
    return value


def audit(session: Session, actor: str, action: str, object_type: str, object_id: str | None = None,
          **detail: Any) -> None:
    """One audit row per change; ``detail`` must be JSON (never secrets)."""
    session.add(AuditLog(actor=actor, action=action, object_type=object_type,
                         object_id=object_id, detail=detail))
