"""CRM fields -> the canonical lead, with per-connection overrides for custom fields.

A map is ``{canonical field: CRM field}``. Overrides replace entries (``None`` removes one);
every field read from the CRM also stays available to rules as ``raw.<CRM field>``. CRM field
names end up inside SOQL and search bodies, so they are checked against a strict pattern here,
once, when the adapter is built.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from rules_engine import Lead
from rules_engine.lead import FIELD_TYPES, VIRTUAL_FIELDS

SALESFORCE_LEAD = {
    "id": "Id", "email": "Email", "company": "Company", "website": "Website",
    "first_name": "FirstName", "last_name": "LastName", "title": "Title", "phone": "Phone",
    "country": "Country", "state": "State", "postal_code": "PostalCode", "city": "City",
    "industry": "Industry", "employees": "NumberOfEmployees", "annual_revenue": "AnnualRevenue",
    "source": "LeadSource", "status": "Status", "created_at": "CreatedDate",
}
# A Contact has no company fields of its own: they are its Account's (Contact.Account, a lookup);
# and no Status (map ``status`` to a field of your own to use ``closed_statuses``).
SALESFORCE_CONTACT = {
    "id": "Id", "email": "Email", "first_name": "FirstName", "last_name": "LastName", "title": "Title",
    "phone": "Phone", "country": "MailingCountry", "state": "MailingState",
    "postal_code": "MailingPostalCode", "city": "MailingCity", "source": "LeadSource",
    "created_at": "CreatedDate", "company": "Account.Name", "website": "Account.Website",
    "industry": "Account.Industry", "employees": "Account.NumberOfEmployees",
    "annual_revenue": "Account.AnnualRevenue",
}
HUBSPOT_CONTACT = {
    "id": "hs_object_id", "email": "email", "company": "company", "website": "website",
    "first_name": "firstname", "last_name": "lastname", "title": "jobtitle", "phone": "phone",
    "country": "country", "state": "state", "postal_code": "zip", "city": "city",
    "industry": "industry", "employees": "numberofemployees", "annual_revenue": "annualrevenue",
    "source": "hs_analytics_source", "status": "hs_lead_status", "score": "hubspotscore",
    "language": "hs_language", "created_at": "createdate",
}
# HubSpot's Leads object (0-136) carries little of its own: its name, pipeline stage and the
# hs_associated_* values HubSpot calculates from its primary contact and company. The other
# routing facts live on that contact: the adapter reads it (v4 associations, then a contacts batch
# read) and takes each canonical field the lead lacks from it (HUBSPOT_LEAD_FROM_CONTACT).
HUBSPOT_LEAD = {
    "id": "hs_object_id", "email": "hs_associated_contact_email",
    "first_name": "hs_associated_contact_firstname", "last_name": "hs_associated_contact_lastname",
    "company": "hs_associated_company_name", "status": "hs_pipeline_stage", "created_at": "createdate",
}
HUBSPOT_LEAD_FROM_CONTACT = {k: v for k, v in HUBSPOT_CONTACT.items()
                             if k not in ("id", "status", "created_at")}

_SALESFORCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}(\.[A-Za-z][A-Za-z0-9_]{0,79}){0,4}$")
_HUBSPOT_NAME = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,99}$", re.IGNORECASE)
PATTERNS = {"salesforce": _SALESFORCE_NAME, "hubspot": _HUBSPOT_NAME}


def check_field_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not PATTERNS[kind].match(name):
        raise ValueError(f"not a valid {kind} field name: {name!r}")
    return name


@dataclass(frozen=True)
class FieldMap:
    kind: str
    fields: dict[str, str]          # canonical -> CRM field
    extra: tuple[str, ...] = ()     # read for raw.X only

    @classmethod
    def build(cls, kind: str, defaults: Mapping[str, str],
              overrides: Mapping[str, str | None] | None = None,
              extra: tuple[str, ...] | list[str] = ()) -> "FieldMap":
        fields = dict(defaults)
        for canonical, crm_field in (overrides or {}).items():
            if canonical not in FIELD_TYPES or canonical in VIRTUAL_FIELDS:
                raise ValueError(f"unknown canonical lead field {canonical!r} in field overrides; "
                                 f"known: {sorted(set(FIELD_TYPES) - set(VIRTUAL_FIELDS))}")
            if crm_field is None:
                fields.pop(canonical, None)
            else:
                fields[canonical] = check_field_name(kind, crm_field)
        return cls(kind, fields, tuple(check_field_name(kind, f) for f in extra))

    def crm_fields(self, *required: str) -> list[str]:
        """Every CRM field to read, each once, in a stable order."""
        names: dict[str, None] = {}
        for name in (*required, *self.fields.values(), *self.extra):
            names.setdefault(name, None)
        return list(names)

    def to_lead(self, values: Mapping[str, Any], record_id: str,
                fallback: Mapping[str, str] | None = None) -> Lead:
        """``values`` is the CRM record's flat field dict; unknown keys land in raw.
        ``fallback``: canonical field -> key of ``values`` to use where the mapped field is empty
        (a HubSpot lead's fields from its contact)."""
        data: dict[str, Any] = {}
        lowered = {k.lower(): v for k, v in values.items()}
        for canonical, crm_field in self.fields.items():
            value = values.get(crm_field, lowered.get(crm_field.lower()))
            if value is not None:
                data[canonical] = value
        for canonical, key in (fallback or {}).items():
            if data.get(canonical) is None and values.get(key) not in (None, ""):
                data[canonical] = values[key]
        data["id"] = record_id
        data["raw"] = dict(values)
        return Lead.from_dict(data)


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Salesforce rows nest relationships ({"Owner": {"attributes":…, "Type": "Queue"}});
    rules see them as raw["Owner.Type"]."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
