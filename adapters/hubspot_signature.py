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
import re
from datetime import datetime, timezone
from typing import Callable, Mapping

from adapters.errors import WebhookRejected

MAX_SKEW_SECONDS = 300
_BASE64_SHA256 = re.compile(r"[A-Za-z0-9+/]{43}=")   # 32 bytes, base64
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_MILLIS = re.compile(r"[0-9]{1,15}")                 # epoch milliseconds: 13 digits until 2286
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


def _ascii(name: str, value: str | None, pattern: re.Pattern[str]) -> bytes | None:
    """A header value as bytes, once it is ASCII of the documented form; absent -> None."""
    if value is None or value == "":
        return None
    if not value.isascii() or not pattern.fullmatch(value):
        raise WebhookRejected(f"malformed {name} header")
    return value.encode("ascii")


def verify(headers: Mapping[str, str], method: str, url: str, body: bytes, secret: str, *,
           now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> str:
    """The signature version that matched; raises WebhookRejected otherwise. Header values are
    checked (ASCII, the documented alphabet and length) before use and compared as bytes."""
    if not secret:
        raise WebhookRejected("no HubSpot app secret configured", status=403)
    v3 = _ascii("X-HubSpot-Signature-v3", _header(headers, "X-HubSpot-Signature-v3"), _BASE64_SHA256)
    if v3:
        stamp = _ascii("X-HubSpot-Request-Timestamp", _header(headers, "X-HubSpot-Request-Timestamp"),
                       _MILLIS)
        if stamp is None:
            raise WebhookRejected("missing X-HubSpot-Request-Timestamp")
        if abs(now().timestamp() - int(stamp) / 1000) > MAX_SKEW_SECONDS:
            raise WebhookRejected("X-HubSpot-Request-Timestamp is more than 5 minutes away")
        if hmac.compare_digest(sign_v3(secret, method, url, body, stamp.decode()).encode(), v3):
            return "v3"
        raise WebhookRejected("X-HubSpot-Signature-v3 does not match")
    signature = _ascii("X-HubSpot-Signature", _header(headers, "X-HubSpot-Signature"), _HEX_SHA256)
    version_header = _header(headers, "X-HubSpot-Signature-Version") or "v1"
    version = version_header.lower() if version_header.isascii() else "?"
    if not signature:
        raise WebhookRejected("no HubSpot signature header")
    expected = {"v1": lambda: sign_v1(secret, body),
                "v2": lambda: sign_v2(secret, method, url, body)}.get(version)
    if expected is None:
        raise WebhookRejected(f"unknown signature version {version[:10]!r}")
    if hmac.compare_digest(expected().encode(), signature.lower()):
        return version
    raise WebhookRejected(f"X-HubSpot-Signature ({version}) does not match")
