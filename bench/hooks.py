"""HubSpot webhook requests as HubSpot sends them to an app's target URL: a JSON list of events
(up to 100 a request), signed with ``X-HubSpot-Signature-v3`` — base64 of HMAC-SHA256, keyed
with the app secret, of method + URI + body + ``X-HubSpot-Request-Timestamp`` (milliseconds)
(developers.hubspot.com/docs/api/webhooks/validating-requests)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

PATH = "/webhooks/hubspot/hubspot"


def creation_events(object_ids: list[int | str], portal_id: int, first_event_id: int) -> list[dict]:
    now = int(time.time() * 1000)
    return [{"eventId": first_event_id + n, "subscriptionId": 1_100_001, "portalId": portal_id, "appId": 1,
             "occurredAt": now, "subscriptionType": "contact.creation", "attemptNumber": 0,
             "objectId": int(object_id), "changeFlag": "CREATED", "changeSource": "CRM"}
            for n, object_id in enumerate(object_ids)]


def signed(base_url: str, secret: str, events: list[dict]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one webhook request to ``base_url`` + the HubSpot door."""
    body = json.dumps(events, separators=(",", ":")).encode()
    stamp = str(int(time.time() * 1000))
    digest = hmac.new(secret.encode(), b"POST" + (base_url + PATH).encode() + body + stamp.encode(),
                      hashlib.sha256).digest()
    return body, {"Content-Type": "application/json", "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
                  "X-HubSpot-Request-Timestamp": stamp, "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/)"}
