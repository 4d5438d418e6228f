"""Salesforce outbound messages: the SOAP ``notifications`` a workflow / flow POSTs, and the
Ack that stops its retries (24 h, at least once, possibly out of order).

Parsed with defusedxml (no entities, no external DTDs). There is no signature: what proves the
sender is the OrganizationId (checked against the connection's org) plus, in production, TLS and
Salesforce's IP ranges at the proxy. The notification Id is the idempotency key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from adapters.errors import WebhookRejected

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_BODY = 2 * 1024 * 1024
_SF_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
_XML_DECLARATION = re.compile(
    r"""\A\s*<\?xml\s+version\s*=\s*(["'])1\.[0-9]\1"""
    r"""(?:\s+encoding\s*=\s*(["'])(?P<encoding>[A-Za-z][A-Za-z0-9._-]{0,39})\2)?"""
    r"""(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>""")

ACK = ('<?xml version="1.0" encoding="UTF-8"?>'
       f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
       f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
       '</soapenv:Body></soapenv:Envelope>')


@dataclass(frozen=True)
class Notification:
    id: str
    sobject_type: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str | None
    notifications: list[Notification]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _utf8_text(body: bytes) -> str:
    """The fixed encoding policy: Salesforce sends UTF-8, so the body must be UTF-8 (an optional
    BOM) and an XML declaration may only name UTF-8. Any other encoding, declared or not, is a 400
    here, before the XML parser would look an unknown codec up (LookupError)."""
    if body.startswith((b"\xfe\xff", b"\xff\xfe")) or body[:4] in (b"\x00<\x00?", b"<\x00?\x00"):
        raise WebhookRejected("outbound message must be UTF-8 (got UTF-16)", status=400)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WebhookRejected(f"outbound message is not valid UTF-8 (byte {exc.start})", status=400) from None
    declaration = _XML_DECLARATION.match(text)
    if declaration and declaration.group("encoding") and \
            declaration.group("encoding").lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise WebhookRejected(f"outbound message must be UTF-8, not "
                              f"{declaration.group('encoding')[:40]!r}", status=400)
    if declaration is None and text.lstrip().startswith("<?xml"):
        raise WebhookRejected("malformed XML declaration", status=400)
    return text


def parse(body: bytes) -> OutboundMessage:
    if len(body) > MAX_BODY:
        raise WebhookRejected("outbound message too large", status=413)
    text = _utf8_text(body)
    try:  # parsed as text: the declaration's encoding was checked above, never looked up
        root = ElementTree.fromstring(_XML_DECLARATION.sub("", text, count=1))
    except (ElementTree.ParseError, DefusedXmlException, ValueError, LookupError, RecursionError) as exc:
        raise WebhookRejected(f"not a SOAP outbound message: {str(exc)[:200]}", status=400) from None
    node = root.find(f".//{{{OUTBOUND_NS}}}notifications")
    if node is None:
        raise WebhookRejected("no notifications element", status=400)
    org_id = (node.findtext(f"{{{OUTBOUND_NS}}}OrganizationId") or "").strip()
    notifications = []
    for item in node.findall(f"{{{OUTBOUND_NS}}}Notification"):
        notification_id = (item.findtext(f"{{{OUTBOUND_NS}}}Id") or "").strip()
        sobject = item.find(f"{{{OUTBOUND_NS}}}sObject")
        if not notification_id or sobject is None:
            raise WebhookRejected("a Notification lacks its Id or sObject", status=400)
        if not _SF_ID.fullmatch(notification_id):
            raise WebhookRejected("a Notification Id is not a Salesforce id", status=400)
        sobject_type = (sobject.get(f"{{{XSI_NS}}}type") or "sf:Lead").split(":")[-1]
        fields: dict[str, Any] = {}
        for child in sobject:
            if child.get(f"{{{XSI_NS}}}nil") == "true":
                fields[_local(child.tag)] = None
            else:
                fields[_local(child.tag)] = child.text or ""
        notifications.append(Notification(notification_id, sobject_type, fields))
    return OutboundMessage(org_id, node.findtext(f"{{{OUTBOUND_NS}}}ActionId"), notifications)


def same_org(a: str | None, b: str | None) -> bool:
    """Org ids come as 15 or 18 characters; the first 15 are the case-sensitive id."""
    return bool(a) and bool(b) and a[:15] == b[:15]
