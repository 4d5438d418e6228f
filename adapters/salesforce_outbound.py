"""Salesforce outbound messages: the SOAP ``notifications`` a workflow / flow POSTs, and the
Ack that stops its retries (24 h, at least once, possibly out of order).

Parsed with defusedxml (no entities, no external DTDs). There is no signature: what proves the
sender is the OrganizationId (checked against the connection's org) plus, in production, TLS and
Salesforce's IP ranges at the proxy. The notification Id is the idempotency key.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from adapters.errors import WebhookRejected

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_BODY = 2 * 1024 * 1024

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


def parse(body: bytes) -> OutboundMessage:
    if len(body) > MAX_BODY:
        raise WebhookRejected("outbound message too large", status=413)
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise WebhookRejected(f"not a SOAP outbound message: {exc}", status=400) from None
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
