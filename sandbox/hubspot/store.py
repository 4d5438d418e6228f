"""CRM records (contacts, companies, leads) and the writes HubSpot validates.

A record keeps HubSpot's bookkeeping: `createdAt`/`updatedAt` on the object, `createdate`,
`lastmodifieddate` (contacts) and `hs_lastmodifieddate`, `hs_object_id` among its properties,
`archived`. Writes go through `Crm.write_properties`, which checks property names and values
(an unknown `hubspot_owner_id` is refused as HubSpot refuses it) and reports changes so the
webhook dispatcher can tell subscribers.
"""
from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

import sandbox.hubspot.errors as errors
from sandbox.hubspot.properties import (DEFAULT_PROPERTIES, LEAD_FROM_CONTACT, READ_ONLY, SCHEMAS,
                                        PropType, iso, normalize)

ChangeListener = Callable[[str, "Record", dict, str], None]   # (object_type, record, changes, source)


@dataclass
class Record:
    id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    archived_at: datetime | None = None

    def to_json(self, object_type: str, wanted: Iterable[str] | None,
                schema: dict[str, PropType] | None = None) -> dict:
        names = list(wanted) if wanted else list(DEFAULT_PROPERTIES[object_type])
        schema = SCHEMAS[object_type] if schema is None else schema
        # A requested property that is not defined is left out; a defined one without a value is null.
        props = {name: self.properties.get(name) for name in names
                 if name in self.properties or name in schema}
        body = {"id": self.id, "properties": props, "createdAt": iso(self.created_at),
                "updatedAt": iso(self.updated_at), "archived": self.archived}
        if self.archived_at is not None:
            body["archivedAt"] = iso(self.archived_at)
        return body


@dataclass
class ObjectStore:
    object_type: str
    ids: Iterable[int]
    records: dict[str, Record] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)   # contacts' unique email -> id

    def __post_init__(self) -> None:
        self.ids = iter(self.ids)

    def next_id(self) -> str:
        return str(next(self.ids))  # type: ignore[call-overload]

    def live(self, archived: bool = False) -> list[Record]:
        return sorted((r for r in self.records.values() if r.archived == archived),
                      key=lambda r: int(r.id))

    def find(self, value: str, id_property: str | None = None,
             archived: bool = False) -> Record | None:
        if not id_property or id_property == "hs_object_id":
            record = self.records.get(str(value))
            return record if record is not None and record.archived == archived else None
        wanted = str(value).lower()
        if id_property == "email":
            record = self.records.get(self.by_email.get(wanted, ""))
            return record if record is not None and record.archived == archived else None
        for record in self.records.values():
            if record.archived == archived and (record.properties.get(id_property) or "").lower() == wanted:
                return record
        return None


class Crm:
    """All object stores of one portal plus the rules that apply to writes."""

    def __init__(self, clock, owner_exists: Callable[[str], bool]) -> None:
        self.clock = clock
        self.owner_exists = owner_exists
        self.listeners: list[ChangeListener] = []
        self.reset()

    # -- associations (v4: typed, both directions) ---------------------------------------------
    # HubSpot-defined association type ids (developers.hubspot.com/docs/api/crm/associations):
    # lead -> contact 608 (unlabeled) / 578 (primary contact); contact -> lead 609 / 579.
    ASSOCIATION_TYPES = {("leads", "contacts"): {608: None, 578: "Primary"},
                         ("contacts", "leads"): {609: None, 579: "Primary"}}
    REVERSE_TYPE = {608: 609, 578: 579, 609: 608, 579: 578}
    UNLABELED = {("leads", "contacts"): 608, ("contacts", "leads"): 609}

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str,
                  type_ids: Iterable[int]) -> None:
        """Record an association in both directions; the unlabeled type always comes along."""
        types = {self.UNLABELED[(from_type, to_type)], *type_ids}
        forward = self.associations.setdefault((from_type, str(from_id), to_type), {})
        forward.setdefault(str(to_id), set()).update(types)
        back = self.associations.setdefault((to_type, str(to_id), from_type), {})
        back.setdefault(str(from_id), set()).update(self.REVERSE_TYPE[t] for t in types)

    def associated(self, from_type: str, from_id: str, to_type: str) -> dict[str, set[int]]:
        """{to id: type ids}, live records only, in id order."""
        found = self.associations.get((from_type, str(from_id), to_type), {})
        store = self.store(to_type)
        return {i: set(t) for i, t in sorted(found.items(), key=lambda kv: int(kv[0]))
                if store.find(i) is not None}

    def primary_contact(self, lead_id: str) -> Record | None:
        for contact_id, types in self.associated("leads", lead_id, "contacts").items():
            if 578 in types:
                return self.store("contacts").find(contact_id)
        return None

    def _refresh_lead(self, lead: Record) -> None:
        """HubSpot calculates the hs_associated_contact_* properties from the primary contact."""
        contact = self.primary_contact(lead.id)
        for contact_prop, lead_prop in LEAD_FROM_CONTACT.items():
            value = contact.properties.get(contact_prop) if contact else None
            if value is None:
                lead.properties.pop(lead_prop, None)
            else:
                lead.properties[lead_prop] = value

    # -- per-portal property definitions --------------------------------------------------------
    def schema(self, object_type: str) -> dict[str, PropType]:
        return self.schemas[object_type]

    def declare_property(self, object_type: str, name: str, kind: PropType, *, label: str | None = None,
                         options: Iterable[str] | None = None) -> None:
        """A custom property, as an admin creates it (POST /crm/v3/properties/{objectType})."""
        self.schemas[object_type][name] = kind
        self.custom[object_type][name] = {"label": label or name.replace("_", " ").title(),
                                          "options": list(options or [])}

    def reset(self) -> None:
        self.schemas = copy.deepcopy(SCHEMAS)
        self.custom: dict[str, dict[str, dict]] = {name: {} for name in SCHEMAS}
        self.associations: dict[tuple[str, str, str], dict[str, set[int]]] = {}
        # Distinct, realistic-looking id ranges per object type (HubSpot ids are large integers).
        self.stores = {
            "contacts": ObjectStore("contacts", itertools.count(1001)),
            "companies": ObjectStore("companies", itertools.count(5_000_001)),
            "leads": ObjectStore("leads", itertools.count(9_000_001)),
        }

    def store(self, object_type: str) -> ObjectStore:
        return self.stores[object_type]

    # -- validation ------------------------------------------------------------------------
    def check_properties(self, object_type: str, properties: dict) -> dict[str, str | None]:
        """Normalised values, or HubSpot's 400 listing every invalid property."""
        schema = self.schemas[object_type]
        problems: list[dict] = []
        clean: dict[str, str | None] = {}
        for name, value in (properties or {}).items():
            kind = schema.get(name)
            if kind is None:
                problems.append(_invalid(name, f'Property "{name}" does not exist',
                                         "PROPERTY_DOESNT_EXIST"))
                continue
            if name in READ_ONLY:
                continue
            try:
                clean[name] = normalize(kind, value)
            except ValueError as exc:
                problems.append(_invalid(name, str(exc), "INVALID_LONG" if kind is not PropType.STRING
                                         else "INVALID_STRING"))
                continue
            allowed = self.custom[object_type].get(name, {}).get("options")
            if kind is PropType.ENUM and allowed and clean[name] and clean[name] not in allowed:
                message = f"{clean[name]} was not one of the allowed options: [{', '.join(allowed)}]"
                problems.append(_invalid(name, message, "INVALID_OPTION"))
                continue
            if name == "hubspot_owner_id" and clean[name] and not self.owner_exists(clean[name]):
                problems.append(_invalid(name, f"{clean[name]} is not a valid owner id",
                                         "INVALID_OWNER_ID"))
        if problems:
            raise errors.property_values_invalid(problems)
        return clean

    # -- writes ----------------------------------------------------------------------------
    def check_lead(self, properties: dict, associations: list | None) -> list[tuple[str, set[int]]]:
        """A new lead must have a name (hs_lead_name) and be associated with an existing contact
        (developers.hubspot.com/docs/api/crm/leads): the contact ids and type ids it names."""
        if not (properties or {}).get("hs_lead_name"):
            raise errors.validation("Leads must have a lead name: the hs_lead_name property is required.")
        contacts: list[tuple[str, set[int]]] = []
        for item in associations or []:
            to_id = str(((item or {}).get("to") or {}).get("id") or "")
            type_ids = {int(t.get("associationTypeId", 0)) for t in (item or {}).get("types") or []
                        if isinstance(t, dict) and str(t.get("associationTypeId", "")).isdigit()}
            if type_ids & {578, 608}:
                if self.store("contacts").find(to_id) is None:
                    raise errors.validation(f"Could not create associations: contact {to_id} does not exist.")
                contacts.append((to_id, type_ids & {578, 608}))
            elif type_ids - {578, 608} - {610, 580}:
                raise errors.validation(f"Invalid association type(s) {sorted(type_ids)} for a lead.")
        if not contacts:
            raise errors.validation("Leads must be associated with an existing contact: include an "
                                    "association to a contact (associationTypeId 578, lead to primary contact).")
        return contacts

    def create(self, object_type: str, properties: dict, *, source: str = "API",
               associations: list | None = None) -> Record:
        clean = self.check_properties(object_type, properties)
        contacts = self.check_lead(clean, associations) if object_type == "leads" else []
        store = self.store(object_type)
        email = (clean.get("email") or "").lower()
        if object_type == "contacts" and email:
            existing = store.find(email, "email")
            if existing is not None:
                raise errors.HubSpotError(409, f"Contact already exists. Existing ID: {existing.id}",
                                          "CONFLICT")
        now = self.clock.now()
        record_id = store.next_id()
        props: dict[str, str | None] = {k: v for k, v in clean.items() if v is not None}
        if object_type == "contacts" and email:
            props["email"] = email  # HubSpot stores contact emails lower-cased
        props.update(createdate=iso(now), hs_lastmodifieddate=iso(now), hs_object_id=record_id)
        if object_type == "contacts":
            props["lastmodifieddate"] = iso(now)
        if props.get("hubspot_owner_id") and "hubspot_owner_assigneddate" in self.schemas[object_type]:
            props["hubspot_owner_assigneddate"] = iso(now)
        record = Record(record_id, props, now, now)
        store.records[record_id] = record
        for contact_id, type_ids in contacts:
            self.associate("leads", record_id, "contacts", contact_id, type_ids)
        if contacts:
            self._refresh_lead(record)
        if email:
            store.by_email[email] = record_id
        self._notify(object_type, record, {"__created__": True}, source)
        return record

    def update(self, object_type: str, record: Record, properties: dict, *,
               source: str = "API") -> Record:
        clean = self.check_properties(object_type, properties)
        changes = {k: v for k, v in clean.items() if record.properties.get(k) != v}
        if object_type == "contacts" and clean.get("email"):
            store = self.store(object_type)
            email = clean["email"].lower()
            clean["email"] = email
            holder = store.by_email.get(email)
            if holder not in (None, record.id):
                raise errors.HubSpotError(409, f"Contact already exists. Existing ID: {holder}",
                                          "CONFLICT")
            store.by_email.pop((record.properties.get("email") or "").lower(), None)
            store.by_email[email] = record.id
        now = self.clock.now()
        record.properties.update(clean)
        record.properties["hs_lastmodifieddate"] = iso(now)
        if object_type == "contacts":
            record.properties["lastmodifieddate"] = iso(now)
        if "hubspot_owner_id" in changes and "hubspot_owner_assigneddate" in self.schemas[object_type]:
            record.properties["hubspot_owner_assigneddate"] = iso(now)
        record.updated_at = now
        if object_type == "contacts" and set(changes) & set(LEAD_FROM_CONTACT):
            for lead_id in self.associated("contacts", record.id, "leads"):
                lead = self.store("leads").find(lead_id)
                if lead is not None:
                    self._refresh_lead(lead)
        if changes:
            self._notify(object_type, record, changes, source)
        return record

    def archive(self, object_type: str, record: Record) -> None:
        record.archived, record.archived_at = True, self.clock.now()

    def _notify(self, object_type: str, record: Record, changes: dict, source: str) -> None:
        for listener in list(self.listeners):
            listener(object_type, record, changes, source)


def _invalid(name: str, message: str, error: str) -> dict:
    return {"isValid": False, "message": message, "error": error, "name": name,
            "localizedErrorMessage": message}
