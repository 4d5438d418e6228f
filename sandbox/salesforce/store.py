"""The Salesforce org's data: records by object, writes with Salesforce's validation, the lead
assignment rule, timestamps from the sandbox clock, and undo for allOrNone requests."""
from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Iterator

import sandbox.salesforce.ids as ids
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.schema import FieldType, SObjectType, object_for_id, org_objects
from sandbox.salesforce.values import coerce, field_label, to_millis

_COMPUTED_NAME = {"Lead", "Contact", "User"}


class Store:
    def __init__(self, clock: Any, pod: str = "5g") -> None:
        self.clock = clock
        self.ids = ids.IdFactory(pod)
        self.records: dict[str, dict[str, dict]] = {}
        self.org_id = ""
        self.admin_id = ""
        # Lead assignment rule: the queue every new/updated lead goes to unless the request
        # says Sforce-Auto-Assign: FALSE (None = no active rule).
        self.assignment_owner_id: str | None = None
        self._undo: list[tuple[str, str, dict | None]] | None = None
        self.reset()

    def reset(self) -> None:
        self.schema: dict[str, SObjectType] = org_objects()   # custom fields: seed.declare_custom_fields
        self.ids.reset()
        self.records = {name: {} for name in ("Lead", "Contact", "User", "Group", "GroupMember",
                                              "Account", "Task", "Event")}
        self.org_id = ids.to18("00D5g000004SbxA")
        self.assignment_owner_id = None
        self.admin_id = ""

    # -- reads -----------------------------------------------------------------------------
    def object(self, name: str) -> SObjectType | None:
        """This org's description of an object (its custom fields included)."""
        return self.schema.get(name.lower())

    def get(self, type_name: str, record_id: str) -> dict | None:
        record_id = ids.normalize(record_id) or ""
        return self.records.get(type_name, {}).get(record_id)

    def find(self, record_id: str) -> tuple[str, dict] | None:
        obj = object_for_id(record_id)
        if obj is None:
            return None
        record = self.get(obj.name, record_id)
        return (obj.name, record) if record else None

    def rows(self, type_name: str) -> list[dict]:
        return list(self.records.get(type_name, {}).values())

    # -- writes ----------------------------------------------------------------------------
    def insert(self, type_name: str, values: dict, *, user_id: str | None = None,
               auto_assign: bool = True, system: bool = False) -> dict:
        obj = self._object(type_name)
        clean = self._validate(obj, values, creating=True, system=system)
        now = to_millis(self.clock.now())
        user_id = user_id or self.admin_id or None
        record: dict[str, Any] = {f.name: (False if f.type is FieldType.BOOLEAN else None)
                                  for f in obj.fields.values()}
        if obj.name == "User":
            record["IsActive"] = True  # the default when the request leaves it out
        record.update(clean)
        record.update(Id=self.ids.new(obj.prefix), IsDeleted=False, CreatedDate=now,
                      LastModifiedDate=now, SystemModstamp=now, CreatedById=user_id,
                      LastModifiedById=user_id)
        if "OwnerId" in record and record["OwnerId"] is None:
            record["OwnerId"] = user_id
        self._defaults(obj.name, record)
        if obj.name == "Lead" and auto_assign and self.assignment_owner_id:
            record["OwnerId"] = self.assignment_owner_id
        self._computed(obj.name, record)
        self.records[obj.name][record["Id"]] = record
        self._remember(obj.name, record["Id"], None)
        return record

    def update(self, type_name: str, record_id: str, values: dict, *,
               user_id: str | None = None, auto_assign: bool = True,
               if_unmodified_since: datetime | None = None, system: bool = False) -> dict:
        obj = self._object(type_name)
        record = self.get(obj.name, record_id)
        if record is None or record["IsDeleted"]:
            raise SalesforceError(404, "ENTITY_IS_DELETED" if record else "NOT_FOUND",
                                  "entity is deleted" if record else
                                  "The requested resource does not exist")
        if if_unmodified_since is not None and \
                record["LastModifiedDate"].replace(microsecond=0) > if_unmodified_since:
            raise SalesforceError(412, "PRECONDITION_FAILED",
                                  "The record has been modified since the date in the "
                                  "If-Unmodified-Since header")
        clean = self._validate(obj, values, creating=False, system=system)
        self._remember(obj.name, record["Id"], dict(record))
        record.update(clean)
        if obj.name == "Lead" and auto_assign and self.assignment_owner_id:
            record["OwnerId"] = self.assignment_owner_id
        now = to_millis(self.clock.now())
        record.update(LastModifiedDate=now, SystemModstamp=now,
                      LastModifiedById=user_id or self.admin_id or None)
        self._computed(obj.name, record)
        return record

    def delete(self, type_name: str, record_id: str) -> None:
        record = self.get(type_name, record_id)
        if record is None or record["IsDeleted"]:
            raise SalesforceError(404, "ENTITY_IS_DELETED" if record else "NOT_FOUND",
                                  "entity is deleted" if record else
                                  "The requested resource does not exist")
        self._remember(type_name, record["Id"], dict(record))
        now = to_millis(self.clock.now())
        record.update(IsDeleted=True, SystemModstamp=now)

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Store"]:
        """Collects undo entries; `rollback()` inside restores every record touched."""
        outer, self._undo = self._undo, []
        try:
            yield self
        finally:
            self._undo = outer

    def rollback(self) -> None:
        for type_name, record_id, before in reversed(self._undo or []):
            if before is None:
                self.records[type_name].pop(record_id, None)
            else:
                self.records[type_name][record_id] = before
        if self._undo is not None:
            self._undo.clear()

    # -- helpers ---------------------------------------------------------------------------
    def _remember(self, type_name: str, record_id: str, before: dict | None) -> None:
        if self._undo is not None:
            self._undo.append((type_name, record_id, before))

    def _object(self, type_name: str) -> SObjectType:
        obj = self.object(type_name)
        if obj is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        return obj

    def _validate(self, obj: SObjectType, values: dict, *, creating: bool,
                  system: bool) -> dict:
        clean: dict[str, Any] = {}
        for key, value in values.items():
            if key == "attributes":
                continue
            f = obj.field(key)
            if f is None:
                raise SalesforceError(400, "INVALID_FIELD",
                                      f"No such column '{key}' on sobject of type {obj.name}")
            if not f.writable and not system and not (key.lower() == "id" and not creating):
                raise SalesforceError(
                    400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {f.name}. Please check the security "
                    "settings of this field and verify that it is read/write for your profile "
                    "or permission set.", [f.name])
            if key.lower() == "id":
                continue
            value = coerce(f, value)
            if f.restricted and value not in (None, "") and value not in f.picklist:
                raise SalesforceError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                      f"{field_label(f.name)}: bad value for restricted picklist field: {value}",
                                      [f.name])
            if f.type is FieldType.REFERENCE and value is not None:
                value = self._check_reference(obj, f.name, f.reference_to, value)
            clean[f.name] = value
        if creating:
            missing = [f.name for f in obj.fields.values()
                       if f.required and clean.get(f.name) in (None, "")]
            if missing:
                raise SalesforceError(400, "REQUIRED_FIELD_MISSING",
                                      f"Required fields are missing: [{', '.join(missing)}]",
                                      missing)
        return clean

    def _check_reference(self, obj: SObjectType, name: str, targets: tuple[str, ...],
                         value: str) -> str:
        label = field_label(name)
        normalized = ids.normalize(value)
        if normalized is None:
            raise SalesforceError(400, "MALFORMED_ID",
                                  f"{label}: id value of incorrect type: {value}", [name])
        found = self.find(normalized)
        if found is None or found[0] not in targets or found[1]["IsDeleted"]:
            raise SalesforceError(400, "FIELD_INTEGRITY_EXCEPTION",
                                  f"{label}: id value of incorrect type: {value}", [name])
        target_type, target = found
        if name == "OwnerId" and target_type == "User" and not target["IsActive"]:
            raise SalesforceError(400, "INACTIVE_OWNER_OR_USER",
                                  f"operation performed with inactive user [{normalized}] as "
                                  f"owner of {obj.name.lower()}", [name])
        if name == "OwnerId" and target_type == "Group" and target["Type"] != "Queue":
            raise SalesforceError(400, "FIELD_INTEGRITY_EXCEPTION",
                                  f"{label}: id value of incorrect type: {value}", [name])
        return normalized

    @staticmethod
    def _defaults(type_name: str, record: dict) -> None:
        if type_name == "Lead":
            record["Status"] = record["Status"] or "Open - Not Contacted"
        elif type_name == "Task":
            record["Status"] = record["Status"] or "Not Started"
            record["Priority"] = record["Priority"] or "Normal"
        elif type_name == "User":
            record["UserType"] = "Standard"

    @staticmethod
    def _computed(type_name: str, record: dict) -> None:
        if type_name in _COMPUTED_NAME:
            record["Name"] = " ".join(p for p in (record.get("FirstName"),
                                                 record.get("LastName")) if p)
        if type_name == "Task":
            record["IsClosed"] = record.get("Status") == "Completed"
