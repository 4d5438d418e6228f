"""HubSpot webhook delivery: event JSON, batching, signatures, retries, duplicates, reordering.

HubSpot POSTs a JSON array of up to 100 events to the app's target URL, retries a failed
batch (connection error, > 5 s, any non-2xx) up to 10 times with `attemptNumber` counting from
0, and may deliver an event twice or out of order. Requests carry the v1 signature (CRM object
subscriptions: `X-HubSpot-Signature-Version: v1`, sha256 hex of app secret + body) and the v3
signature (base64 HMAC-SHA256 of method + URI + body + timestamp, `X-HubSpot-Request-Timestamp`
in ms). Docs: developers.hubspot.com/docs/api/webhooks and .../webhooks/validating-requests.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import threading
from dataclasses import asdict, dataclass

MAX_EVENTS_PER_REQUEST = 100

# Subscription ids are per app and subscription type; stable so tests can rely on them.
SUBSCRIPTION_IDS = {"contact.creation": 1_100_001, "contact.propertyChange": 1_100_002,
                    "company.creation": 1_100_003, "company.propertyChange": 1_100_004,
                    # generic (object.*) subscriptions: the event names its objectTypeId ("0-136": leads)
                    "object.creation": 1_100_005, "object.propertyChange": 1_100_006}

# v3 signatures are computed over the URI with these escapes decoded (HubSpot's table).
_V3_DECODE = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
              "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def signing_uri(url: str) -> str:
    for escaped, char in _V3_DECODE.items():
        url = url.replace(escaped, char).replace(escaped.lower(), char)
    return url


def signature_v3(secret: str, method: str, url: str, body: str, timestamp_ms: str) -> str:
    source = f"{method}{signing_uri(url)}{body}{timestamp_ms}".encode("utf-8")
    return base64.b64encode(hmac.new(secret.encode("utf-8"), source, hashlib.sha256).digest()).decode()


def signature_v1(secret: str, body: str) -> str:
    return hashlib.sha256(f"{secret}{body}".encode("utf-8")).hexdigest()


@dataclass
class WebhookSettings:
    url: str | None = None
    duplicate_rate: float = 0.0     # chance that an event is sent again in a later request
    reorder: bool = False           # shuffle events inside a request, send requests last-first
    batch_window_ms: float = 200.0  # events occurring within this window share one request
    max_attempts: int = 10
    verify: bool | str = True       # CA file for an https receiver


class WebhookDispatcher:
    def __init__(self, sandbox, *, portal_id: int, app_id: int, secret: str) -> None:
        self.sandbox = sandbox
        self.portal_id, self.app_id, self.secret = portal_id, app_id, secret
        self._lock = threading.Lock()
        self._random = random.Random()
        self.reset(url=None)

    def reset(self, url: str | None) -> None:
        with self._lock:
            self.settings = WebhookSettings(url=url)
            self._buffer: list[dict] = []
            self._timer: threading.Timer | None = None
            self._event_ids = itertools.count(3_000_000_001)
            self.sent_events: list[dict] = []   # every event handed to delivery, for inspection

    def configure(self, **values) -> dict:
        seed = values.pop("seed", None)
        with self._lock:
            if seed is not None:
                self._random.seed(seed)
            for key, value in values.items():
                if not hasattr(self.settings, key):
                    raise ValueError(f"unknown webhook setting {key!r}")
                setattr(self.settings, key, value)
            if not 0.0 <= float(self.settings.duplicate_rate) <= 1.0:
                raise ValueError("duplicate_rate must be within 0..1")
            return asdict(self.settings)

    # -- events ----------------------------------------------------------------------------
    def emit(self, subscription_type: str, object_id: str, *, change_source: str,
             source_id: str | None = None, **fields) -> None:
        if not self.settings.url:
            return
        event = {"eventId": next(self._event_ids),
                 "subscriptionId": SUBSCRIPTION_IDS[subscription_type],
                 "portalId": self.portal_id, "appId": self.app_id,
                 "occurredAt": int(self.sandbox.clock.now().timestamp() * 1000),
                 "subscriptionType": subscription_type, "attemptNumber": 0,
                 "objectId": int(object_id), **fields, "changeSource": change_source}
        if source_id:
            event["sourceId"] = source_id
        with self._lock:
            self._buffer.append(event)
            window = float(self.settings.batch_window_ms)
            if len(self._buffer) >= MAX_EVENTS_PER_REQUEST or window <= 0:
                self._flush_locked()
            elif self._timer is None:
                self._timer = threading.Timer(window / 1000.0, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        events, self._buffer = self._buffer, []
        if not events or not self.settings.url:
            return
        settings = self.settings
        duplicates = [dict(e) for e in events if self._random.random() < settings.duplicate_rate]
        if settings.reorder:
            self._random.shuffle(events)
            self._random.shuffle(duplicates)
        chunks = [events[i:i + MAX_EVENTS_PER_REQUEST]
                  for i in range(0, len(events), MAX_EVENTS_PER_REQUEST)]
        chunks += [duplicates[i:i + MAX_EVENTS_PER_REQUEST]
                   for i in range(0, len(duplicates), MAX_EVENTS_PER_REQUEST)]
        if settings.reorder:
            chunks.reverse()
        for chunk in chunks:
            self._deliver(chunk, settings)

    def _deliver(self, events: list[dict], settings: WebhookSettings) -> None:
        self.sent_events.extend(events)
        url, secret, clock = settings.url, self.secret, self.sandbox.clock
        bodies: dict[int, str] = {}

        def body(attempt: int) -> bytes:
            # Each retry re-sends the same events with attemptNumber = attempt - 1.
            text = json.dumps([{**e, "attemptNumber": attempt - 1} for e in events],
                              separators=(",", ":"))
            bodies[attempt] = text
            return text.encode("utf-8")

        def headers(attempt: int) -> dict:
            text = bodies[attempt]
            timestamp = str(int(clock.now().timestamp() * 1000))
            return {"Content-Type": "application/json",
                    "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) - "
                                  "WebhooksExecutorDaemon-executor",
                    "X-HubSpot-Signature": signature_v1(secret, text),
                    "X-HubSpot-Signature-Version": "v1",
                    "X-HubSpot-Signature-v3": signature_v3(secret, "POST", url, text, timestamp),
                    "X-HubSpot-Request-Timestamp": timestamp,
                    "X-HubSpot-Timeout-Millis": "5000"}

        self.sandbox.deliveries.deliver(url, body, headers, max_attempts=int(settings.max_attempts),
                                        vendor="hubspot", label=f"{len(events)} events",
                                        verify=settings.verify)
