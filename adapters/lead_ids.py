"""Record ids as each CRM documents them, checked at the doors before anything stores them.

Salesforce: record ids are 15 case-sensitive or 18 case-insensitive characters of ``[a-zA-Z0-9]``,
and the first three say the object: ``00Q`` is a Lead, ``003`` a Contact (the object a connection
routes, ``object``). HubSpot: record ids are positive integers (sent as JSON numbers by webhooks;
the API takes them as strings of digits), bounded here by a signed 64-bit integer so no database
or SDK overflows on them.
"""
from __future__ import annotations

import re

SALESFORCE_PREFIXES = {"Lead": "00Q", "Contact": "003"}
HUBSPOT_ID = re.compile(r"[1-9][0-9]{0,18}")
MAX_HUBSPOT_ID = 2 ** 63 - 1


class BadLeadId(ValueError):
    pass


def salesforce_record_id(value: object, sobject: str = "Lead") -> str:
    prefix = SALESFORCE_PREFIXES[sobject]
    if not isinstance(value, str) or not re.fullmatch(prefix + r"[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?", value):
        raise BadLeadId(f"not a Salesforce {sobject.lower()} id (15 or 18 letters and digits starting {prefix}): "
                        f"{_show(value)}")
    return value


def hubspot_id(value: object) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not HUBSPOT_ID.fullmatch(text) or int(text) > MAX_HUBSPOT_ID:
        raise BadLeadId(f"not a HubSpot record id (a positive integer below 2^63): {_show(value)}")
    return text


def lead_id(kind: str, value: object, record_object: str | None = None) -> str:
    """The id as a string, or BadLeadId saying why not, for a connection of ``kind`` routing
    ``record_object`` (its ``object``; Salesforce's default: Lead)."""
    if kind == "salesforce":
        return salesforce_record_id(value, record_object or "Lead")
    return hubspot_id(value)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
