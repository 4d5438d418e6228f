"""The Salesforce objects leadrouter routes, and what differs between them (Object Reference,
Lead and Contact; REST API Developer Guide, "Assignment Rule Header"):

* a Lead's owner is a user or a queue, and a lead nobody has taken sits in a queue; a Contact's
  ``OwnerId`` is a lookup to User only (queues cannot own contacts), so an unassigned contact is
  one owned by an intake user (``intake_owners``, by default the integration user);
* a Lead is converted (``IsConverted``) and has a ``Status``; a Contact has neither (map
  ``status`` to a field of your own for ``closed_statuses``);
* ``Sforce-Auto-Assign`` applies to Leads (and Cases and Accounts), never to Contacts: only a
  Lead write has to switch the org's assignment rule off.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from adapters.mapping import SALESFORCE_CONTACT, SALESFORCE_LEAD


@dataclass(frozen=True)
class RoutedObject:
    name: str                          # the sObject's API name
    id_prefix: str                     # its record ids' key prefix
    fields: Mapping[str, str]          # the default canonical field map
    converted_field: str | None        # the flag of converted records (excluded from routing)
    queues_own: bool                   # a queue may own it: unassigned = in a queue
    auto_assign: bool                  # the org's assignment rule runs on its writes

    def read_fields(self) -> tuple[str, ...]:
        """What every read asks for besides the mapped fields."""
        converted = (self.converted_field,) if self.converted_field else ()
        return ("Id", "OwnerId", *converted, "LastModifiedDate", "SystemModstamp", "CreatedDate")

    @property
    def write_headers(self) -> dict[str, str]:
        # Sforce-Auto-Assign's default (TRUE) re-runs the active lead assignment rule, which
        # silently puts the lead back into its queue.
        return {"Sforce-Auto-Assign": "FALSE"} if self.auto_assign else {}

    def id_problem(self, record_id: str) -> str | None:
        if not record_id.startswith(self.id_prefix):
            return f"not a {self.name} id (those start {self.id_prefix}): {record_id[:40]!r}"
        return None


LEAD = RoutedObject("Lead", "00Q", SALESFORCE_LEAD, "IsConverted", queues_own=True, auto_assign=True)
CONTACT = RoutedObject("Contact", "003", SALESFORCE_CONTACT, None, queues_own=False, auto_assign=False)
OBJECTS: dict[str, RoutedObject] = {o.name: o for o in (LEAD, CONTACT)}

__all__ = ["CONTACT", "LEAD", "OBJECTS", "RoutedObject"]
