"""Outbound messages: the SOAP `notifications` envelope a workflow rule POSTs when a lead is
created, retried with growing delays until the listener answers <Ack>true</Ack>.

Shape per the Outbound Messaging WSDL (namespace http://soap.sforce.com/2005/09/outbound):
OrganizationId, ActionId, SessionId (nil unless the message sends one), EnterpriseUrl,
PartnerUrl, then up to 100 Notification elements, each an Id (used by listeners to drop
repeats) and an sObject of xsi:type sf:Lead in urn:sobject.enterprise.soap.sforce.com.
"""
from __future__ import annotations

from typing import Any, Iterable
from xml.sax.saxutils import escape

import requests
from defusedxml import ElementTree

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
MAX_NOTIFICATIONS = 100
# Salesforce retries for 24 h with intervals growing up to 2 h; the sandbox keeps the shape and
# lets tests scale the delays down (Deliveries.delay_factor).
MAX_ATTEMPTS = 16


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def envelope(*, org_id: str, action_id: str, enterprise_url: str, partner_url: str,
             notifications: Iterable[tuple[str, str, dict]], session_id: str | None = None) -> bytes:
    """notifications: (notification id, sObject type, {field: JSON-ready value})."""
    items = list(notifications)
    if not 1 <= len(items) <= MAX_NOTIFICATIONS:
        raise ValueError(f"an outbound message carries 1..{MAX_NOTIFICATIONS} notifications")
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        '<soapenv:Body>',
        f'<notifications xmlns="{OUTBOUND_NS}">',
        f'<OrganizationId>{escape(org_id)}</OrganizationId>',
        f'<ActionId>{escape(action_id)}</ActionId>',
        f'<SessionId>{escape(session_id)}</SessionId>' if session_id
        else '<SessionId xsi:nil="true"/>',
        f'<EnterpriseUrl>{escape(enterprise_url)}</EnterpriseUrl>',
        f'<PartnerUrl>{escape(partner_url)}</PartnerUrl>',
    ]
    for notification_id, type_name, fields in items:
        parts.append(f'<Notification><Id>{escape(notification_id)}</Id>')
        parts.append(f'<sObject xsi:type="sf:{type_name}" xmlns:sf="{SOBJECT_NS}">')
        for name, value in fields.items():
            if value is None:
                continue  # Salesforce leaves empty fields out of the message
            parts.append(f'<sf:{name}>{_value(value)}</sf:{name}>')
        parts.append('</sObject></Notification>')
    parts.append('</notifications></soapenv:Body></soapenv:Envelope>')
    return "".join(parts).encode("utf-8")


def is_ack(response: requests.Response) -> bool:
    """Acknowledged only by a 2xx whose body says <Ack>true</Ack> in the outbound namespace."""
    if not 200 <= response.status_code < 300:
        return False
    try:
        root = ElementTree.fromstring(response.content)
    except Exception:  # not XML, or XML defusedxml refuses: not an acknowledgement
        return False
    ack = root.find(f".//{{{OUTBOUND_NS}}}Ack")
    return ack is not None and (ack.text or "").strip().lower() == "true"


HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""',
           "User-Agent": "Salesforce OutboundMessaging"}
