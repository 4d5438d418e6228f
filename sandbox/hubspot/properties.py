"""Property schemas of the CRM objects we serve, and HubSpot's value conventions.

In CRM v3 every property value travels as a string (or null): numbers as "42", datetimes as
ISO 8601 with milliseconds ("2024-05-01T09:30:00.000Z"). Writes accept datetimes as ISO or epoch
milliseconds; search filters too. Comparisons in search use the property's type.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum


class PropType(str, Enum):
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    ENUM = "enumeration"


S, N, D, E = PropType.STRING, PropType.NUMBER, PropType.DATETIME, PropType.ENUM

CONTACT_PROPERTIES: dict[str, PropType] = {
    "email": S, "firstname": S, "lastname": S, "company": S, "website": S, "jobtitle": S,
    "phone": S, "country": S, "state": S, "zip": S, "city": S, "industry": S,
    "numberofemployees": N, "annualrevenue": N, "hs_analytics_source": E, "lifecyclestage": E,
    "hs_lead_status": E, "hubspotscore": N, "hs_language": E, "hubspot_owner_id": E, "hubspot_owner_assigneddate": D,
    "notes_last_contacted": D, "notes_last_updated": D, "hs_last_sales_activity_timestamp": D,
    "createdate": D, "lastmodifieddate": D, "hs_lastmodifieddate": D, "hs_object_id": N,
}
COMPANY_PROPERTIES: dict[str, PropType] = {
    "name": S, "domain": S, "website": S, "industry": S, "country": S, "state": S, "city": S,
    "numberofemployees": N, "annualrevenue": N, "hubspot_owner_id": E, "notes_last_updated": D,
    "createdate": D, "hs_lastmodifieddate": D, "hs_object_id": N,
}
# The Leads object (objectTypeId 0-136, developers.hubspot.com/docs/api/crm/leads). The
# hs_associated_* properties are calculated by HubSpot from the lead's primary contact / company.
LEAD_PROPERTIES: dict[str, PropType] = {
    "hs_lead_name": S, "hs_lead_type": E, "hs_lead_label": E, "hs_pipeline": E,
    "hs_pipeline_stage": E, "hubspot_owner_id": E, "hubspot_owner_assigneddate": D,
    "hs_associated_contact_email": S, "hs_associated_contact_firstname": S,
    "hs_associated_contact_lastname": S, "hs_associated_company_name": S,
    "hs_associated_company_domain": S,
    "createdate": D, "hs_lastmodifieddate": D, "hs_object_id": N,
}
# Calculated from the primary associated contact (contact property -> lead property).
LEAD_FROM_CONTACT = {"email": "hs_associated_contact_email",
                     "firstname": "hs_associated_contact_firstname",
                     "lastname": "hs_associated_contact_lastname"}
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "leads": "0-136"}

# What a read returns when no `properties` are asked for (HubSpot's search guide tables).
DEFAULT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    # the search guide's defaults for leads (0-136), plus the bookkeeping every object returns
    "leads": ("createdate", "hs_associated_company_domain", "hs_associated_company_name",
              "hs_associated_contact_email", "hs_associated_contact_firstname",
              "hs_associated_contact_lastname", "hs_lastmodifieddate", "hs_lead_name", "hs_object_id"),
}
SCHEMAS: dict[str, dict[str, PropType]] = {
    "contacts": CONTACT_PROPERTIES, "companies": COMPANY_PROPERTIES, "leads": LEAD_PROPERTIES,
}
# Read-only bookkeeping the store maintains; a client write to these is ignored, as HubSpot does.
READ_ONLY = {"createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_object_id",
             *LEAD_FROM_CONTACT.values(), "hs_associated_company_name", "hs_associated_company_domain"}
# HubSpot's object type names in messages ("Could not get some CONTACT objects ...").
OBJECT_TYPE_NAMES = {"contacts": "CONTACT", "companies": "COMPANY", "leads": "LEAD"}


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{dt.microsecond // 1000:03d}Z"


def to_ms(value: str | int | float | None) -> int | None:
    """Epoch ms from epoch ms (number or digit string), ISO 8601 datetime, or a date."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def ms_to_iso(ms: int) -> str:
    return iso(datetime.fromtimestamp(ms / 1000, tz=timezone.utc))


def normalize(kind: PropType, value: object) -> str | None:
    """The string HubSpot stores for a written value; raises ValueError when it is not valid."""
    if value is None or value == "":
        return None if value is None else ""
    if kind is PropType.DATETIME:
        ms = to_ms(value)  # type: ignore[arg-type]
        if ms is None:
            raise ValueError(f"{value} was not a valid long.")
        return ms_to_iso(ms)
    if kind is PropType.NUMBER:
        try:
            number = float(str(value))
        except ValueError:
            raise ValueError(f"{value} was not a valid number.") from None
        return str(int(number)) if number == int(number) and "." not in str(value) else str(value)
    return str(value)


def sort_key(kind: PropType, value: str | None):
    """A key that orders values of one type; missing values sort last (ascending)."""
    if value is None or value == "":
        return (1, 0)
    if kind is PropType.NUMBER:
        try:
            return (0, float(value))
        except ValueError:
            return (0, float("inf"))
    if kind is PropType.DATETIME:
        return (0, to_ms(value) or 0)
    return (0, value.lower())
