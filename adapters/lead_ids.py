"""Lead ids as each CRM documents them, checked at the doors before anything stores them.

Salesforce: record ids are 15 case-sensitive or 18 case-insensitive characters of ``[a-zA-Z0-9]``,
and the first three say the object: ``00Q`` is a Lead. HubSpot: record ids are positive integers
(sent as JSON numbers by webhooks; the API takes them as strings of digits), bounded here by a
signed 64-bit integer so no database or SDK overflows on them.
"""
from __future__ import annotations

import re

SALESFORCE_LEAD_ID = re.compile(r"00Q[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?")
HUBSPOT_ID = re.compile(r"[1-9][0-9]{0,18}")
MAX_HUBSPOT_ID = 2 ** 63 - 1


class BadLeadId(ValueError):
    pass


def salesforce_lead_id(value: object) -> str:
    if not isinstance(value, str) or not SALESFORCE_LEAD_ID.fullmatch(value):
        raise BadLeadId(f"not a Salesforce lead id (15 or 18 letters and digits starting 00Q): {_show(value)}")
    return value


def hubspot_id(value: object) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not HUBSPOT_ID.fullmatch(text) or int(text) > MAX_HUBSPOT_ID:
        raise BadLeadId(f"not a HubSpot record id (a positive integer below 2^63): {_show(value)}")
    return text


CHECKS = {"salesforce": salesforce_lead_id, "hubspot": hubspot_id}


def lead_id(kind: str, value: object) -> str:
    """The id as a string, or BadLeadId saying why not, for a connection of ``kind``."""
    return CHECKS[kind](value)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
