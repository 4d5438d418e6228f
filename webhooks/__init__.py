"""The HTTP doors: CRM webhooks in, inbox rows out, answered fast.

    POST /webhooks/hubspot/<connection>      HubSpot webhooks (signature v3, v2 or v1)
    POST /webhooks/salesforce/<connection>   Salesforce outbound messages (SOAP; Ack after storing)
    POST /webhooks/inbound/<connection>      a JSON lead id / lead, signed with the inbound secret

A door reads the body with its size enforced on the stream (413), checks the content type (415)
and the signature headers as the vendor documents them (401 / 403), validates the body against
its declared shape (the connection's adapter for CRM bodies, ``InboundBody`` here; 400 with a JSON
error naming the field), checks every lead id against its CRM's id format (400), stores the
events in the inbox and answers. It makes no CRM call and routes nothing inline; bad input never
gets a 5xx and stores nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Annotated, Callable, Union

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, model_validator
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from adapters import CrmAdapter, WebhookEvent, WebhookKind, WebhookRejected
from adapters.hubspot_events import describe
from adapters.lead_ids import BadLeadId, lead_id as checked_lead_id
from connector.connections.registry import get_connections
from connector.platform.db import get_db
from connector.pipeline.inbox import IncomingLead, InboxPayload, enqueue
from connector.pipeline.models import InboundSignature, Source
from connector.platform.request_limits import HEX_SHA256, UNIX_SECONDS, DoorError, header, read_body

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

JSON_TYPES = {"application/json"}
SOAP_TYPES = {"text/xml", "application/soap+xml", "application/xml"}
INBOUND_SKEW_SECONDS = 300
# A timestamp up to 5 minutes ahead stays valid until 10 minutes after it arrived: remember
# signatures a little longer than that.
REMEMBER_SIGNATURES = timedelta(seconds=2 * INBOUND_SKEW_SECONDS + 60)


@bp.errorhandler(DoorError)
def _door_error(exc: DoorError):
    return jsonify(error=exc.message), exc.status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):  # 413 from MAX_CONTENT_LENGTH, 405, … as JSON
    return jsonify(error=exc.description or exc.name), exc.code


def _spec_kind(name: str, kind: str | None = None) -> str:
    connections = get_connections()
    spec = connections.specs.get(name)
    if spec is None or (kind is not None and spec.kind != kind):
        raise DoorError(404, f"no {kind + ' ' if kind else ''}connection named {name[:64]!r}")
    return str(getattr(spec.kind, "value", spec.kind))   # "hubspot" | "salesforce"


def _adapter(name: str, kind: str) -> CrmAdapter:
    _spec_kind(name, kind)
    return get_connections().adapter(name)


def _body(allowed: set[str]) -> bytes:
    body = read_body()
    if request.mimetype not in allowed:
        raise DoorError(415, f"content type must be one of {sorted(allowed)}")
    return body


def _public_urls() -> list[str]:
    """The URL the CRM signed: ours as configured (behind a proxy) and as this request saw it."""
    base = current_app.config["LEADROUTER_SETTINGS"].base_url.rstrip("/")
    path = request.full_path.rstrip("?")
    return list(dict.fromkeys([base + path, request.url]))


def _store(connection: str, kind: str, events: list[WebhookEvent], source: Source,
           remember: Callable[[Session, datetime], None] | None = None) -> dict:
    wanted = [e for e in events if _wants_routing(e)]
    routed = getattr(get_connections().specs.get(connection), "object", None)
    try:  # every id as its CRM writes them (Salesforce: of the routed object), before anything is stored
        ids = [checked_lead_id(kind, e.lead_id, routed) for e in wanted]
    except BadLeadId as exc:
        raise DoorError(400, str(exc)) from None
    items = [IncomingLead(i, source, event_id=e.event_id, payload=InboxPayload(kind=e.kind.value))
             for i, e in zip(ids, wanted)]
    now = datetime.now(timezone.utc)
    with get_db().session() as session:
        if remember is not None:
            remember(session, now)
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
    summary = _store(name, "hubspot", _parsed(adapter, body), Source.WEBHOOK)
    return jsonify(summary)


@bp.post("/salesforce/<name>")
def salesforce(name: str):
    adapter = _adapter(name, "salesforce")
    body = _body(SOAP_TYPES)
    _verified(adapter, body)
    events = _parsed(adapter, body)
    _store(name, "salesforce", events, Source.WEBHOOK)
    reply = adapter.webhook_reply(events)  # the Ack only once the events are stored
    return Response(reply.body, status=reply.status, content_type=reply.content_type)


# -- the inbound door -------------------------------------------------------------------------
LeadIdValue = Union[Annotated[StrictStr, Field(min_length=1, max_length=64)], StrictInt]


class InboundLead(BaseModel):
    """``{"id": …, other fields …}``: the id is what is routed; the CRM's record is read."""

    model_config = ConfigDict(extra="allow")
    id: LeadIdValue


class InboundBody(BaseModel):
    """``{"lead_id": "…"}`` or ``{"lead": {"id": "…", …}}``, optionally with ``"event_id"``."""

    model_config = ConfigDict(extra="forbid")
    lead_id: LeadIdValue | None = None
    lead: InboundLead | None = None
    event_id: Annotated[StrictStr, Field(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _one_id(self) -> "InboundBody":
        if (self.lead_id is None) == (self.lead is None):
            raise ValueError('give exactly one of "lead_id" or "lead": {"id": …}')
        return self

    @property
    def the_lead_id(self) -> str:
        value = self.lead_id if self.lead_id is not None else self.lead.id  # type: ignore[union-attr]
        return str(value).strip()


@bp.post("/inbound/<name>")
def inbound(name: str):
    """A lead id (or a lead with its id) from a Salesforce Flow, a web form or any tool, signed
    the way Slack and Stripe sign: ``X-Leadrouter-Timestamp: <unix seconds>`` (within 5 minutes)
    and ``X-Leadrouter-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with
    LEADROUTER_INBOUND_SECRET>``. A signature is accepted once: a replay gets 409."""
    settings = current_app.config["LEADROUTER_SETTINGS"]
    kind = _spec_kind(name)
    if settings.inbound_secret is None:
        raise DoorError(403, "inbound posts are disabled: set LEADROUTER_INBOUND_SECRET")
    body = _body(JSON_TYPES)
    signature = _check_inbound_signature(settings.inbound_secret.get_secret_value(), body)
    try:
        data = InboundBody.model_validate_json(body)
    except ValidationError as exc:
        raise DoorError(400, f"not an inbound lead: {describe(exc)}") from None
    lead_id = data.the_lead_id
    event_id = data.event_id or f"inbound:{lead_id}:{hashlib.sha256(body).hexdigest()[:16]}"
    event = WebhookEvent(event_id, lead_id, WebhookKind.CREATED, None, {})
    return jsonify(_store(name, kind, [event], Source.INBOUND, remember=_remembering(signature)))


def _check_inbound_signature(secret: str, body: bytes) -> str:
    """The request's signature (hex) once it is well formed, fresh and matches; else 401."""
    stamp = header("X-Leadrouter-Timestamp", UNIX_SECONDS)
    if stamp is None:
        raise DoorError(401, "missing X-Leadrouter-Timestamp (unix seconds)")
    if abs(time.time() - int(stamp)) > INBOUND_SKEW_SECONDS:
        raise DoorError(401, "X-Leadrouter-Timestamp is more than 5 minutes away")
    given = header("X-Leadrouter-Signature", _SIGNATURE)
    if given is None:
        raise DoorError(401, "missing X-Leadrouter-Signature")
    expected = sign_inbound(secret, stamp.decode(), body).encode("ascii")
    if not hmac.compare_digest(given, expected):
        raise DoorError(401, "bad X-Leadrouter-Signature")
    return expected.decode()[len("sha256="):]


_SIGNATURE = re.compile(r"sha256=" + HEX_SHA256.pattern)


def sign_inbound(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Leadrouter-Signature`` value for a body sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _remembering(signature: str) -> Callable[[Session, datetime], None]:
    """Record the signature in the transaction that stores the lead: one row per signature in
    the database (shared by every web process), so the same signed request is taken once."""
    def remember(session: Session, now: datetime) -> None:
        session.execute(delete(InboundSignature).where(InboundSignature.seen_at < now - REMEMBER_SIGNATURES))
        session.add(InboundSignature(signature=signature, seen_at=now))
        try:
            session.flush()
        except IntegrityError:
            raise DoorError(409, "this signed request was already received (a replay): "
                                 "sign each request with a fresh timestamp") from None
    return remember


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
