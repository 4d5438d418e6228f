"""The CRM v3 properties API, read side: ``GET /crm/v3/properties/{objectType}`` and
``GET /crm/v3/properties/{objectType}/{propertyName}``, answered from the object schemas.

Shapes follow HubSpot's reference ("Read all properties": ``{"results": [Property, ...]}``; a
property has ``name``, ``label``, ``type``, ``fieldType``, ``description``, ``groupName``,
``options`` and display flags); the official SDK's ``Property`` model requires the first seven.
An object type is its name (``contacts``), singular (``contact``) or type id (``0-1``); anything
else is HubSpot's 400 "Unable to infer object type from: …". ``?archived=true`` lists archived
properties: the sandbox archives none.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import flask

import sandbox.hubspot.errors as errors
from sandbox.hubspot.properties import SCHEMAS, PropType

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.hubspot.state import HubSpotState

ALIASES = {"contact": "contacts", "0-1": "contacts", "company": "companies", "0-2": "companies",
           "lead": "leads", "0-136": "leads"}
FIELD_TYPES = {PropType.STRING: "text", PropType.NUMBER: "number", PropType.DATETIME: "date",
               PropType.ENUM: "select"}
GROUPS = {"contacts": "contactinformation", "companies": "companyinformation", "leads": "leadinformation"}


def object_type_of(value: str) -> str:
    name = ALIASES.get(value.lower(), value.lower())
    if name not in SCHEMAS:
        raise errors.HubSpotError(400, f"Unable to infer object type from: {value}")
    return name


def property_json(object_type: str, name: str, kind: PropType, order: int, custom: dict | None = None) -> dict:
    """``custom``: the portal's own definition of a custom property (label, options), if it is one."""
    kind = PropType(kind)
    options = [{"label": o, "value": o, "displayOrder": i, "hidden": False}
               for i, o in enumerate((custom or {}).get("options") or [])]
    body = {"name": name, "label": (custom or {}).get("label") or name.replace("_", " ").strip().title(),
            "type": kind.value, "fieldType": FIELD_TYPES.get(kind, "text"), "description": "",
            "groupName": GROUPS.get(object_type, f"{object_type}information"), "options": options,
            "hubspotDefined": custom is None,
            "displayOrder": order, "calculated": False, "externalOptions": name == "hubspot_owner_id",
            "hasUniqueValue": False, "hidden": False, "formField": kind is not PropType.DATETIME,
            "archived": False,
            "modificationMetadata": {"archivable": True, "readOnlyDefinition": False,
                                     "readOnlyValue": False}}
    if name == "hubspot_owner_id":
        body["referencedObjectType"] = "OWNER"
    return body


def register(bp: flask.Blueprint, state: "HubSpotState") -> None:
    @bp.get("/crm/v3/properties/<object_type>")
    def read_all_properties(object_type: str):
        name = object_type_of(object_type)
        if flask.request.args.get("archived", "false").lower() == "true":
            return errors.response(200, {"results": []})
        with state.sandbox.lock:   # the portal's properties: custom ones included
            schema, custom = dict(state.crm.schema(name)), dict(state.crm.custom[name])
        return errors.response(200, {"results": [property_json(name, prop, kind, order, custom.get(prop))
                                                 for order, (prop, kind) in enumerate(schema.items())]})

    @bp.get("/crm/v3/properties/<object_type>/<property_name>")
    def read_property(object_type: str, property_name: str):
        name = object_type_of(object_type)
        with state.sandbox.lock:
            schema, custom = dict(state.crm.schema(name)), dict(state.crm.custom[name])
        if property_name not in schema:
            raise errors.HubSpotError(404, f"Unable to find property {property_name} for object type "
                                      f"{object_type}", "OBJECT_NOT_FOUND")
        order = list(schema).index(property_name)
        return errors.response(200, property_json(name, property_name, schema[property_name], order,
                                                  custom.get(property_name)))
