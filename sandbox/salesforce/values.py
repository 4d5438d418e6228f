"""Converting field values between JSON, storage and Salesforce's wire formats."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.schema import Field, FieldType


def format_datetime(dt: datetime) -> str:
    """Salesforce's JSON form: 2024-01-01T00:00:00.000+0000 (always UTC, milliseconds)."""
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def to_millis(dt: datetime) -> datetime:
    return dt.replace(microsecond=(dt.microsecond // 1000) * 1000)


def parse_datetime(text: str) -> datetime:
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # +0000 -> +00:00
        text = text[:-2] + ":" + text[-2:]
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _parser_error(f: Field, value: Any) -> SalesforceError:
    kind = {str: "VALUE_STRING", bool: "VALUE_TRUE" if value else "VALUE_FALSE",
            int: "VALUE_NUMBER_INT", float: "VALUE_NUMBER_FLOAT", list: "START_ARRAY",
            dict: "START_OBJECT"}.get(type(value), "VALUE_STRING")
    target = {FieldType.BOOLEAN: "boolean", FieldType.INT: "int", FieldType.DOUBLE: "double",
              FieldType.DATETIME: "datetime", FieldType.DATE: "date"}.get(f.type, "string")
    return SalesforceError(400, "JSON_PARSER_ERROR",
                           f"Cannot deserialize instance of {target} from {kind} value {value} "
                           f"or request may be missing a required field at [line:1, column:1]")


def coerce(f: Field, value: Any) -> Any:
    """A JSON value for field f as stored, or JSON_PARSER_ERROR like the REST API."""
    if value is None:
        return False if f.type is FieldType.BOOLEAN else None
    if f.type is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        raise _parser_error(f, value)
    if f.type is FieldType.INT:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise _parser_error(f, value)
        return int(value)
    if f.type is FieldType.DOUBLE:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _parser_error(f, value)
        return float(value)
    if f.type in (FieldType.DATETIME, FieldType.DATE):
        if not isinstance(value, str):
            raise _parser_error(f, value)
        try:
            if f.type is FieldType.DATE:
                return date.fromisoformat(value[:10])
            return to_millis(parse_datetime(value))
        except ValueError:
            raise _parser_error(f, value) from None
    if isinstance(value, (dict, list, bool)):
        raise _parser_error(f, value)
    return str(value)


def field_label(name: str) -> str:
    """Salesforce's label in messages: OwnerId -> "Owner ID"."""
    return name[:-2] + " ID" if name.endswith("Id") and len(name) > 2 else name
