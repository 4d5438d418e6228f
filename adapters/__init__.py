"""CRM adapters: one class per CRM behind ``adapters.base.CrmAdapter``.

Build them from plain dicts (a connection row's settings and decrypted secrets, or env
settings) with ``build_adapter(kind, settings, secrets)``; see docs in each adapter module for
the keys it reads.
"""
from __future__ import annotations

from typing import Any, Mapping

from adapters.base import (AssignmentRequest, AssignOutcome, AssignResult,
                           CrmAccount, CrmAdapter, CrmUser, DuplicateMatch, LeadRecord, Outcome,
                           UnassignedPage, WebhookEvent, WebhookKind, WebhookReply)
from adapters.errors import (AuthError, Conflict, CrmError, CrmUnavailable, InvalidData, NotFound,
                             PermissionDenied, RateLimited, WebhookRejected)
from adapters.hubspot import HubSpotAdapter
from adapters.salesforce import SalesforceAdapter

ADAPTERS: dict[str, type[CrmAdapter]] = {
    "salesforce": SalesforceAdapter,
    "hubspot": HubSpotAdapter,
}


def build_adapter(kind: str, settings: Mapping[str, Any], secrets: Mapping[str, Any],
                  **options: Any) -> CrmAdapter:
    """``options`` are the test seams every adapter takes (``sleep``, ``now``)."""
    try:
        cls = ADAPTERS[kind]
    except KeyError:
        raise ValueError(f"unknown CRM {kind!r}; known: {sorted(ADAPTERS)}") from None
    return cls(settings, secrets, **options)


__all__ = [
    "ADAPTERS", "build_adapter", "CrmAdapter", "SalesforceAdapter", "HubSpotAdapter",
    "AssignmentRequest", "AssignOutcome", "AssignResult", "CrmUser",
    "CrmAccount", "DuplicateMatch", "LeadRecord", "Outcome", "UnassignedPage", "WebhookEvent", "WebhookKind",
    "WebhookReply", "CrmError", "AuthError", "PermissionDenied", "NotFound", "Conflict",
    "RateLimited", "CrmUnavailable", "InvalidData", "WebhookRejected",
]
