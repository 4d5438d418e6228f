"""SOQL literals and the queries the Salesforce adapter sends.

Every value that reaches a query goes through one of the literal functions below; field names
were checked when the field map was built (adapters.mapping). Salesforce's escapes (SOQL and SOSL
reference, "Quoted String Escape Sequences"): \\n \\r \\t \\b \\f \\" \\' \\\\, plus \\_ and \\% inside LIKE.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Iterable

from adapters.errors import InvalidData

_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\b": "\\b", "\f": "\\f"}
_ESCAPE_RE = re.compile("|".join(re.escape(c) for c in _ESCAPES))
_LIKE_RE = re.compile(r"[%_]")
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")

QUEUE_PREFIX = "00G"
USER_PREFIX = "005"


def string(value: str) -> str:
    """A quoted SOQL string literal."""
    return "'" + _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], str(value)) + "'"


def like(value: str, *, prefix: str = "%", suffix: str = "%") -> str:
    """A LIKE pattern matching ``value`` literally (its own % and _ escaped)."""
    body = _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], str(value))
    body = _LIKE_RE.sub(lambda m: "\\" + m.group(), body)
    return f"'{prefix}{body}{suffix}'"


def record_id(value: str) -> str:
    """A quoted Salesforce id; anything that is not 15/18 alphanumerics is refused outright."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise InvalidData(f"not a Salesforce id: {str(value)[:40]!r}")
    return f"'{value}'"


def id_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(record_id(v) for v in values) + ")"


def string_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(string(v) for v in values) + ")"


def datetime_literal(value: datetime) -> str:
    """SOQL date-times are unquoted, e.g. 2024-01-01T00:00:00Z (second precision)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_queue(owner_id: str | None) -> bool:
    return bool(owner_id) and owner_id.startswith(QUEUE_PREFIX)


def is_user(owner_id: str | None) -> bool:
    return bool(owner_id) and owner_id.startswith(USER_PREFIX)


# -- query builders ------------------------------------------------------------------------------
# ``sobject`` and field names come from the connection model (a fixed list of objects; names
# checked by adapters.mapping), never from a record or a request.

def unassigned(sobject: str, fields: list[str], *, owner_ids: list[str], converted_field: str | None,
               cursor_field: str, since: datetime | None, exclude_ids: Iterable[str], limit: int) -> str:
    """Records owned by one of ``owner_ids`` (no ids: by any queue), not converted."""
    where = [f"{converted_field} = false"] if converted_field else []
    where.append(f"OwnerId IN {id_list(owner_ids)}" if owner_ids else "Owner.Type = 'Queue'")
    if since is not None:
        where.append(f"{cursor_field} >= {datetime_literal(since)}")
    excluded = list(exclude_ids)
    if excluded:
        where.append(f"Id NOT IN {id_list(excluded)}")
    return (f"SELECT {', '.join(fields)} FROM {sobject} WHERE {' AND '.join(where)} "
            f"ORDER BY {cursor_field} ASC, Id ASC LIMIT {int(limit)}")


def records_by_id(sobject: str, fields: list[str], ids: list[str]) -> str:
    return f"SELECT {', '.join(fields)} FROM {sobject} WHERE Id IN {id_list(ids)}"


def open_load(sobject: str, owner_ids: list[str], *, converted_field: str | None,
              status_field: str | None, closed_statuses: list[str]) -> str:
    where = [f"{converted_field} = false"] if converted_field else []
    where.append(f"OwnerId IN {id_list(owner_ids)}")
    if closed_statuses and status_field:
        where.append(f"{status_field} NOT IN {string_list(closed_statuses)}")
    return f"SELECT OwnerId, COUNT(Id) cnt FROM {sobject} WHERE {' AND '.join(where)} GROUP BY OwnerId"


def all_accounts() -> str:
    """Every account; the connection pages through them (``nextRecordsUrl``)."""
    return "SELECT Id, Name, Website, OwnerId, LastActivityDate FROM Account ORDER BY Id"


def _people(sobject: str, where: str, converted_field: str | None) -> str:
    """Leads / contacts matching ``where``; ``converted_field``: only those not converted."""
    website = ", Website" if sobject == "Lead" else ""
    if converted_field:
        where = f"({where}) AND {converted_field} = false"
    return f"SELECT Id, Email, OwnerId, FirstName, LastName{website}, LastActivityDate FROM {sobject} WHERE {where}"


def records_by_email(sobject: str, emails: list[str], *, converted_field: str | None = None) -> str:
    return _people(sobject, f"Email IN {string_list(emails)}", converted_field)


def records_by_name(sobject: str, people: list[tuple[str, str, str]], *, converted_field: str | None = None) -> str:
    """The same first and last name with an email at the domain, for each (first, last, domain)."""
    clauses = " OR ".join(f"(FirstName = {string(first)} AND LastName = {string(last)} AND "
                          f"Email LIKE {like('@' + domain, suffix='')})" for first, last, domain in people)
    return _people(sobject, clauses, converted_field)


def activities_since(sobject: str, who_ids: list[str], since: datetime) -> str:
    """Tasks or Events (``sobject``) about these leads created at or after ``since``."""
    return (f"SELECT WhoId, CreatedDate FROM {sobject} WHERE WhoId IN {id_list(who_ids)} "
            f"AND CreatedDate >= {datetime_literal(since)} ORDER BY CreatedDate ASC")


def queues_by_name(names: list[str]) -> str:
    return (f"SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' AND "
            f"(DeveloperName IN {string_list(names)} OR Name IN {string_list(names)})")


def users_by_username(usernames: list[str]) -> str:
    return f"SELECT Id, Username, IsActive FROM User WHERE Username IN {string_list(usernames)}"
