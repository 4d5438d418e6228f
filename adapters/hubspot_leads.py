"""The HubSpot Leads object (0-136): each lead's primary contact, read in batches.

A lead carries little of its own (name, pipeline stage, owner, and the hs_associated_contact_*
values HubSpot calculates). Routing facts live on its contact, so for every page of leads the
adapter makes one v4 associations batch read (``POST /crm/v4/associations/leads/contacts/batch/
read``, 100 ids a request) and one contacts batch read (100 a request): never one call per lead.
Each canonical field the lead lacks is taken from the contact; rules also see every contact
property read as ``raw.contact.<property>``, and a custom (extra) field the lead does not have as
``raw.<property>``.

With ``sync_contact_owner`` the owner written on a lead is also written on its primary contact
(contacts batch/update, 100 a request), after the lead's own write succeeded, but only on a
contact that has no owner: right before the write the contacts' ``hubspot_owner_id`` is re-read
(contacts batch/read, 100 a request), and a contact a person owns keeps its owner. A failed
contact write never undoes or fails the lead's assignment: it is logged.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Sequence

from hubspot.crm.associations.v4 import (BatchInputPublicFetchAssociationsBatchRequest,
                                         PublicFetchAssociationsBatchRequest)
from hubspot.crm.objects import (BatchInputSimplePublicObjectBatchInput, BatchReadInputSimplePublicObjectId,
                                 SimplePublicObjectBatchInput, SimplePublicObjectId)

from adapters.base import AssignOutcome, AssignResult, AssignmentRequest, chunked, unique
from adapters.errors import CrmError
from adapters.hubspot_http import HubSpotConnection
from adapters.mapping import HUBSPOT_LEAD_FROM_CONTACT, FieldMap

log = logging.getLogger(__name__)

BATCH = 100
OWNER = "hubspot_owner_id"
PRIMARY_CONTACT = 578       # lead to primary contact (HubSpot-defined association type)
CONTACT_PREFIX = "contact."


def contact_fields(extra: Iterable[str]) -> FieldMap:
    """The contact properties read for a lead: the contact map plus the connection's extra fields."""
    return FieldMap.build("hubspot", HUBSPOT_LEAD_FROM_CONTACT, None, tuple(extra))


def fallback() -> dict[str, str]:
    """canonical field -> the contact's value in the flat values (``contact.<property>``)."""
    return {canonical: f"{CONTACT_PREFIX}{prop}" for canonical, prop in HUBSPOT_LEAD_FROM_CONTACT.items()}


class LeadContacts:
    """The primary contacts of a portal's leads: read with them, and owned with them."""

    def __init__(self, conn: HubSpotConnection, fields: FieldMap) -> None:
        self.conn, self.fields = conn, fields
        self.api = conn.client.crm

    def primary_contacts(self, lead_ids: Sequence[str]) -> dict[str, str]:
        """lead id -> its primary contact's id (else its first associated contact), in batches."""
        out: dict[str, str] = {}
        batch_api = self.api.associations.v4.batch_api
        for chunk in chunked(unique(lead_ids), BATCH):
            body = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in chunk])
            answer = self.conn.call(batch_api.get_page_with_http_info, "leads", "contacts", body)
            for result in answer.results or []:   # a 207 lists leads without a contact in .errors
                to = list(result.to or [])
                primary = [t for t in to if any(a.type_id == PRIMARY_CONTACT for a in t.association_types or [])]
                if primary or to:
                    out[str(result._from.id)] = str((primary or to)[0].to_object_id)
        return out

    def _read(self, contact_ids: Iterable[str], properties: list[str]) -> dict[str, dict[str, Any]]:
        """contact id -> its ``properties``, in batches; a contact HubSpot cannot find is left out."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in chunked(unique(contact_ids), BATCH):
            body = BatchReadInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=i) for i in chunk],
                                                      properties=properties, properties_with_history=[])
            answer = self.conn.call(self.api.objects.batch_api.read_with_http_info, "contacts", body)
            for obj in answer.results or []:
                out[str(obj.id)] = dict(obj.properties or {})
        return out

    def with_contacts(self, leads: Sequence[Any]) -> list[tuple[Any, dict[str, Any]]]:
        """Each lead object with the flat values its record is built from: the lead's properties, its
        contact's as ``contact.<name>`` and, for an extra field the lead lacks, the contact's value."""
        links = self.primary_contacts([str(obj.id) for obj in leads]) if leads else {}
        contacts = self._read(links.values(), self.fields.crm_fields("hs_object_id", OWNER)) if links else {}
        out = []
        for obj in leads:
            values = dict(obj.properties or {})
            contact = contacts.get(links.get(str(obj.id), ""), {})
            values.update({f"{CONTACT_PREFIX}{k}": v for k, v in contact.items()})
            for name in self.fields.extra:
                if values.get(name) in (None, "") and contact.get(name) not in (None, ""):
                    values[name] = contact[name]
            out.append((obj, values))
        return out

    def sync_owners(self, reqs: Sequence[AssignmentRequest], results: Sequence[AssignResult]) -> None:
        """The owner of each lead written now, also on its primary contact (batch/update) when that
        contact has no owner: a person's contact is never taken from them."""
        written = {r.lead_id: q.owner_id for q, r in zip(reqs, results) if r.outcome is AssignOutcome.WRITTEN}
        if not written:
            return
        try:
            links = self.primary_contacts(list(written))
            current = {c: p.get(OWNER) or None for c, p in self._read(links.values(), [OWNER]).items()} \
                if links else {}
            owners = {contact: written[lead] for lead, contact in links.items()
                      if contact in current and current[contact] is None}
            kept = sorted({c for c in links.values() if current.get(c)})
            if kept:
                log.info("HubSpot: %d contact(s) already owned by a person keep their owner: %s",
                         len(kept), ", ".join(kept[:20]))
            for chunk in chunked(list(owners.items()), BATCH):
                body = BatchInputSimplePublicObjectBatchInput(inputs=[
                    SimplePublicObjectBatchInput(id=contact, properties={OWNER: owner}) for contact, owner in chunk])
                self.conn.call(self.api.objects.batch_api.update_with_http_info, "contacts", body)
        except CrmError as exc:
            log.warning("HubSpot: the leads' owners are written, their contacts' owners are not: %s", exc)


__all__ = ["LeadContacts", "contact_fields", "fallback"]
