"""The HTTP doors: CRM webhooks in, inbox rows out, answered fast.

    POST /webhooks/hubspot/<connection>      HubSpot webhooks (signature v3, v2 or v1)
    POST /webhooks/salesforce/<connection>   Salesforce outbound messages (SOAP; Ack after storing)
    POST /webhooks/inbound/<connection>      a JSON lead id / lead, signed with the inbound secret

A door checks size (413), content type (415) and signature (401 / 403), hands parsing to the
connection's adapter (400 for malformed bodies, with a JSON error), stores the events in the inbox
and answers. It makes no CRM call and routes nothing inline; bad input never gets a 5xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timezone

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from adapters import CrmAdapter, WebhookEvent, WebhookKind, WebhookRejected
from connector.db import get_db
from connector.inbox import IncomingLead, enqueue

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

JSON_TYPES = {"application/json"}
SOAP_TYPES = {"text/xml", "application/soap+xml", "application/xml"}
INBOUND_SKEW_SECONDS = 300


class DoorError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(DoorError)
def _door_error(exc: DoorError):
    return jsonify(error=exc.message), exc.status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):  # 413 from MAX_CONTENT_LENGTH, 405, … as JSON
    return jsonify(error=exc.description or exc.name), exc.code


def _adapter(name: str, kind: str) -> CrmAdapter:
    connections = current_app.extensions["leadrouter.connections"]
    spec = connections.specs.get(name)
    if spec is None or spec.kind != kind:
        raise DoorError(404, f"no {kind} connection named {name!r}")
    return connections.adapter(name)


def _body(allowed: set[str]) -> bytes:
    if request.mimetype not in allowed:
        raise DoorError(415, f"content type must be one of {sorted(allowed)}")
    return request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH


def _public_urls() -> list[str]:
    """The URL the CRM signed: ours as configured (behind a proxy) and as this request saw it."""
    base = current_app.config["LEADROUTER_SETTINGS"].base_url.rstrip("/")
    path = request.full_path.rstrip("?")
    return list(dict.fromkeys([base + path, request.url]))


def _store(connection: str, events: list[WebhookEvent], source: str) -> dict:
    items = [IncomingLead(e.lead_id, source, event_id=e.event_id, payload={"kind": e.kind.value})
             for e in events if _wants_routing(e)]
    now = datetime.now(timezone.utc)
    with get_db().session() as session:
        result = enqueue(session, connection, items, now)
    log.info("webhook %s: %d event(s), %d lead(s) queued, %d duplicate(s)", connection, len(events),
             len(result.stored), len(result.duplicates))
    return {"received": len(events), "queued": len(result.stored), "duplicates": len(result.duplicates)}


def _wants_routing(event: WebhookEvent) -> bool:
    """New leads, and leads whose owner was cleared; other changes are not ours to route."""
    if event.kind in (WebhookKind.CREATED, WebhookKind.NOTIFICATION):
        return True
    return event.kind is WebhookKind.OWNER_CHANGED and not event.payload.get("propertyValue")


def _verified(adapter: CrmAdapter, body: bytes) -> None:
    last: WebhookRejected | None = None
    for url in _public_urls():
        try:
            adapter.verify_webhook(dict(request.headers), request.method, url, body)
            return
        except WebhookRejected as exc:
            last = exc
    raise DoorError(last.status or 401, last.message)


def _parsed(adapter: CrmAdapter, body: bytes) -> list[WebhookEvent]:
    try:
        return adapter.parse_webhook(body)
    except WebhookRejected as exc:
        raise DoorError(exc.status or 400, exc.message) from None


@bp.post("/hubspot/<name>")
def hubspot(name: str):
    adapter = _adapter(name, "hubspot")
    body = _body(JSON_TYPES)
    _verified(adapter, body)
    summary = _store(name, _parsed(adapter, body), "webhook")
    return jsonify(summary)


@bp.post("/salesforce/<name>")
def salesforce(name: str):
    adapter = _adapter(name, "salesforce")
    body = _body(SOAP_TYPES)
    _verified(adapter, body)
    events = _parsed(adapter, body)
    _store(name, events, "webhook")
    reply = adapter.webhook_reply(events)  # the Ack only once the events are stored
    return Response(reply.body, status=reply.status, content_type=reply.content_type)


@bp.post("/inbound/<name>")
def inbound(name: str):
    """A lead id (or a lead with its id) from a Salesforce Flow, a web form or any tool:
    ``X-Leadrouter-Timestamp`` (unix seconds, within 5 minutes) and ``X-Leadrouter-Signature:
    sha256=<hex HMAC-SHA256 of the raw body with LEADROUTER_INBOUND_SECRET>``."""
    settings = current_app.config["LEADROUTER_SETTINGS"]
    if name not in current_app.extensions["leadrouter.connections"]:
        raise DoorError(404, f"no connection named {name!r}")
    if settings.inbound_secret is None:
        raise DoorError(403, "inbound posts are disabled: set LEADROUTER_INBOUND_SECRET")
    body = _body(JSON_TYPES)
    _check_inbound_signature(settings.inbound_secret.get_secret_value(), body)
    try:
        data = json.loads(body)
    except ValueError:
        raise DoorError(400, "body is not valid JSON") from None
    lead = data.get("lead") if isinstance(data, dict) else None
    lead_id = (data.get("lead_id") if isinstance(data, dict) else None) or (lead or {}).get("id")
    if not isinstance(lead_id, (str, int)) or not str(lead_id).strip() or len(str(lead_id)) > 64:
        raise DoorError(400, "body must be {\"lead_id\": \"…\"} or {\"lead\": {\"id\": \"…\", …}}")
    event_id = data.get("event_id")
    event = WebhookEvent(str(event_id) if event_id else f"inbound:{lead_id}:{hashlib.sha256(body).hexdigest()[:16]}",
                         str(lead_id).strip(), WebhookKind.CREATED, None, {})
    return jsonify(_store(name, [event], "inbound"))


def _check_inbound_signature(secret: str, body: bytes) -> None:
    stamp = request.headers.get("X-Leadrouter-Timestamp", "")
    given = request.headers.get("X-Leadrouter-Signature", "")
    try:
        age = abs(time.time() - float(stamp))
    except ValueError:
        raise DoorError(401, "missing or malformed X-Leadrouter-Timestamp") from None
    if age > INBOUND_SKEW_SECONDS:
        raise DoorError(401, "X-Leadrouter-Timestamp is more than 5 minutes away")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise DoorError(401, "bad X-Leadrouter-Signature")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
