"""HubSpot webhook signatures (developers.hubspot.com/docs/api/webhooks/validating-requests).

v3: base64(HMAC-SHA256(app secret, method + URI + body + timestamp)), the URI with HubSpot's
listed percent-escapes decoded, and ``X-HubSpot-Request-Timestamp`` (ms) no more than five
minutes away from now *in either direction*: the SDK's ``Signature`` helper only rejects old
timestamps, so a captured request signed with a future timestamp would replay for as long as
the attacker liked. v2: sha256 hex of secret + method + URI + body; v1: of secret + body.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone
from typing import Callable, Mapping

from adapters.errors import WebhookRejected

MAX_SKEW_SECONDS = 300
_V3_DECODE = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
              "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def v3_uri(url: str) -> str:
    for escaped, char in _V3_DECODE.items():
        url = url.replace(escaped, char).replace(escaped.lower(), char)
    return url


def sign_v3(secret: str, method: str, url: str, body: bytes, timestamp_ms: str) -> str:
    source = method.upper().encode() + v3_uri(url).encode() + body + timestamp_ms.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def sign_v2(secret: str, method: str, url: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + method.upper().encode() + url.encode() + body).hexdigest()


def sign_v1(secret: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + body).hexdigest()


def verify(headers: Mapping[str, str], method: str, url: str, body: bytes, secret: str, *,
           now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> str:
    """The signature version that matched; raises WebhookRejected otherwise."""
    if not secret:
        raise WebhookRejected("no HubSpot app secret configured", status=403)
    v3 = _header(headers, "X-HubSpot-Signature-v3")
    if v3:
        timestamp = _header(headers, "X-HubSpot-Request-Timestamp") or ""
        try:
            sent = int(timestamp) / 1000
        except ValueError:
            raise WebhookRejected("missing or malformed X-HubSpot-Request-Timestamp") from None
        if abs(now().timestamp() - sent) > MAX_SKEW_SECONDS:
            raise WebhookRejected("X-HubSpot-Request-Timestamp is more than 5 minutes away")
        if hmac.compare_digest(sign_v3(secret, method, url, body, timestamp), v3):
            return "v3"
        raise WebhookRejected("X-HubSpot-Signature-v3 does not match")
    signature = _header(headers, "X-HubSpot-Signature")
    version = (_header(headers, "X-HubSpot-Signature-Version") or "v1").lower()
    if not signature:
        raise WebhookRejected("no HubSpot signature header")
    expected = {"v1": lambda: sign_v1(secret, body),
                "v2": lambda: sign_v2(secret, method, url, body)}.get(version)
    if expected is None:
        raise WebhookRejected(f"unknown signature version {version!r}")
    if hmac.compare_digest(expected(), signature.lower()):
        return version
    raise WebhookRejected(f"X-HubSpot-Signature ({version}) does not match")
