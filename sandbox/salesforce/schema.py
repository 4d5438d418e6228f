"""The sObjects the sandbox knows, with their fields (a subset of the standard objects).

Field names are case-insensitive in SOQL and in REST bodies, so lookups go through the
lower-cased name and answers use the canonical spelling.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from enum import Enum

from sandbox.salesforce.ids import PREFIXES


class FieldType(str, Enum):
    ID = "id"
    STRING = "string"
    TEXTAREA = "textarea"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    PICKLIST = "picklist"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    INT = "int"
    DOUBLE = "double"
    REFERENCE = "reference"

    @property
    def is_text(self) -> bool:
        return self in _TEXT


_TEXT = {FieldType.ID, FieldType.STRING, FieldType.TEXTAREA, FieldType.EMAIL, FieldType.PHONE,
         FieldType.URL, FieldType.PICKLIST, FieldType.REFERENCE}


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    writable: bool = True                  # createable and updateable through the API
    required: bool = False                 # required on create
    reference_to: tuple[str, ...] = ()
    relationship: str | None = None        # "Owner" for OwnerId
    custom: bool = False                   # a custom field (Name__c), declared by the org
    picklist: tuple[str, ...] = ()         # picklist values (describe's picklistValues)
    restricted: bool = False               # a restricted picklist refuses other values
    precision: int | None = None           # Number(precision, scale)
    scale: int | None = None

    @property
    def polymorphic(self) -> bool:
        return len(self.reference_to) > 1


@dataclass
class SObjectType:
    name: str
    fields: dict[str, Field] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return PREFIXES[self.name]

    def field(self, name: str) -> Field | None:
        return self.fields.get(name.lower())

    def relationship(self, name: str) -> Field | None:
        for f in self.fields.values():
            if f.relationship and f.relationship.lower() == name.lower():
                return f
        return None


T = FieldType
_SYSTEM = [Field("Id", T.ID, writable=False), Field("IsDeleted", T.BOOLEAN, writable=False),
           Field("CreatedDate", T.DATETIME, writable=False),
           Field("CreatedById", T.REFERENCE, False, reference_to=("User",), relationship="CreatedBy"),
           Field("LastModifiedDate", T.DATETIME, writable=False),
           Field("LastModifiedById", T.REFERENCE, False, reference_to=("User",),
                 relationship="LastModifiedBy"),
           Field("SystemModstamp", T.DATETIME, writable=False)]


def _object(name: str, *fields: Field) -> SObjectType:
    obj = SObjectType(name)
    for f in [*_SYSTEM, *fields]:
        obj.fields[f.name.lower()] = f
    return obj


OBJECTS: dict[str, SObjectType] = {o.name.lower(): o for o in (
    _object("Lead",
            Field("FirstName", T.STRING), Field("LastName", T.STRING, required=True),
            Field("Name", T.STRING, writable=False), Field("Title", T.STRING),
            Field("Company", T.STRING, required=True), Field("Email", T.EMAIL),
            Field("Phone", T.PHONE), Field("Website", T.URL), Field("City", T.STRING),
            Field("State", T.STRING), Field("Country", T.STRING), Field("PostalCode", T.STRING),
            Field("Industry", T.PICKLIST), Field("NumberOfEmployees", T.INT),
            Field("AnnualRevenue", T.DOUBLE), Field("LeadSource", T.PICKLIST),
            Field("Status", T.PICKLIST), Field("Rating", T.PICKLIST),
            Field("Description", T.TEXTAREA),
            Field("OwnerId", T.REFERENCE, reference_to=("User", "Group"), relationship="Owner"),
            Field("IsConverted", T.BOOLEAN, writable=False), Field("ConvertedDate", T.DATE, False),
            Field("LastActivityDate", T.DATE, writable=False)),
    # Object Reference, Contact: no Company (its Account's), no Status, never converted; OwnerId is
    # a lookup to User only (queues cannot own contacts).
    _object("Contact",
            Field("AccountId", T.REFERENCE, reference_to=("Account",), relationship="Account"),
            Field("Salutation", T.PICKLIST), Field("FirstName", T.STRING),
            Field("LastName", T.STRING, required=True), Field("Name", T.STRING, writable=False),
            Field("Title", T.STRING), Field("Department", T.STRING), Field("Email", T.EMAIL),
            Field("Phone", T.PHONE), Field("MobilePhone", T.PHONE), Field("MailingStreet", T.TEXTAREA),
            Field("MailingCity", T.STRING), Field("MailingState", T.STRING),
            Field("MailingPostalCode", T.STRING), Field("MailingCountry", T.STRING),
            Field("LeadSource", T.PICKLIST), Field("Birthdate", T.DATE), Field("Description", T.TEXTAREA),
            Field("HasOptedOutOfEmail", T.BOOLEAN), Field("DoNotCall", T.BOOLEAN),
            Field("OwnerId", T.REFERENCE, reference_to=("User",), relationship="Owner"),
            Field("LastActivityDate", T.DATE, writable=False)),
    _object("User",
            Field("Username", T.STRING, required=True), Field("FirstName", T.STRING),
            Field("LastName", T.STRING, required=True), Field("Name", T.STRING, writable=False),
            Field("Email", T.EMAIL, required=True), Field("Alias", T.STRING),
            Field("Title", T.STRING), Field("Department", T.STRING),
            Field("IsActive", T.BOOLEAN), Field("UserType", T.PICKLIST, writable=False),
            Field("TimeZoneSidKey", T.PICKLIST), Field("Country", T.STRING),
            Field("State", T.STRING), Field("Skills__c", T.STRING),
            Field("Territory_Countries__c", T.STRING), Field("Territory_States__c", T.STRING)),
    _object("Group",
            Field("Name", T.STRING, required=True), Field("DeveloperName", T.STRING),
            Field("Type", T.PICKLIST), Field("Email", T.EMAIL),
            Field("DoesSendEmailToMembers", T.BOOLEAN)),
    _object("GroupMember",
            Field("GroupId", T.REFERENCE, reference_to=("Group",), relationship="Group"),
            Field("UserOrGroupId", T.REFERENCE, reference_to=("User", "Group"),
                  relationship="UserOrGroup")),
    _object("Account",
            Field("Name", T.STRING, required=True), Field("Website", T.URL),
            Field("Industry", T.PICKLIST), Field("NumberOfEmployees", T.INT),
            Field("AnnualRevenue", T.DOUBLE), Field("BillingCountry", T.STRING), Field("BillingState", T.STRING),
            Field("Type", T.PICKLIST), Field("Phone", T.PHONE),
            Field("OwnerId", T.REFERENCE, reference_to=("User",), relationship="Owner"),
            Field("LastActivityDate", T.DATE, writable=False)),
    _object("Task",
            Field("Subject", T.STRING), Field("Status", T.PICKLIST), Field("Priority", T.PICKLIST),
            Field("ActivityDate", T.DATE), Field("Description", T.TEXTAREA),
            Field("IsClosed", T.BOOLEAN, writable=False), Field("Type", T.PICKLIST),
            Field("WhoId", T.REFERENCE, reference_to=("Lead", "Contact"), relationship="Who"),
            Field("WhatId", T.REFERENCE, reference_to=("Account",), relationship="What"),
            Field("OwnerId", T.REFERENCE, reference_to=("User",), relationship="Owner")),
    # Object Reference, Event: a calendar event (a meeting); with Task, the record's activities.
    _object("Event",
            Field("Subject", T.STRING), Field("Location", T.STRING), Field("Type", T.PICKLIST),
            Field("StartDateTime", T.DATETIME), Field("EndDateTime", T.DATETIME),
            Field("ActivityDateTime", T.DATETIME), Field("ActivityDate", T.DATE),
            Field("DurationInMinutes", T.INT), Field("IsAllDayEvent", T.BOOLEAN),
            Field("Description", T.TEXTAREA),
            Field("WhoId", T.REFERENCE, reference_to=("Lead", "Contact"), relationship="Who"),
            Field("WhatId", T.REFERENCE, reference_to=("Account",), relationship="What"),
            Field("OwnerId", T.REFERENCE, reference_to=("User",), relationship="Owner")),
)}

# Fields of the polymorphic "Name" entity (Lead.Owner, GroupMember.UserOrGroup, ...).
NAME_FIELDS = ("Id", "Name", "Type", "Email", "FirstName", "LastName", "IsActive", "Username",
               "Title", "Alias")


def get_object(name: str) -> SObjectType | None:
    """A standard object as every org has it (no custom fields of any org)."""
    return OBJECTS.get(name.lower())


def org_objects() -> dict[str, SObjectType]:
    """One org's own copy of the objects, which its custom fields are added to."""
    return copy.deepcopy(OBJECTS)


def declare_custom_field(objects: dict[str, SObjectType], object_name: str, f: Field) -> Field:
    """Add a custom field (Setup -> Object Manager -> Fields & Relationships) to one org."""
    if not f.name.endswith("__c"):
        raise ValueError(f"a custom field's API name ends with __c: {f.name}")
    f = replace(f, custom=True)
    objects[object_name.lower()].fields[f.name.lower()] = f
    return f


def object_for_id(record_id: str) -> SObjectType | None:
    for obj in OBJECTS.values():
        if record_id.startswith(obj.prefix):
            return obj
    return None
