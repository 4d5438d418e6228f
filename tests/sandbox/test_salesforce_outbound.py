"""Outbound messages: the SOAP notifications envelope, retried until the listener acks."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from defusedxml import ElementTree

OM = "{http://soap.sforce.com/2005/09/outbound}"
SF = "{urn:sobject.enterprise.soap.sforce.com}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
ACK = (b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
       b'<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
       b'<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>')


class Listener:
    """A little outbound-message endpoint: fails the first `failures` posts, then acks."""

    def __init__(self, failures: int) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[dict] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                listener.bodies.append(body)
                listener.headers.append(dict(self.headers))
                if len(listener.bodies) <= failures:
                    self.send_response(500 if len(listener.bodies) == 1 else 200)
                    self.end_headers()
                    self.wfile.write(b"<nope/>")  # a 200 without <Ack>true</Ack> is no ack
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                self.wfile.write(ACK)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sfdc/outbound"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_lead_creation_sends_a_notifications_envelope_retried_until_ack(sf, fresh_sandbox):
    listener = Listener(failures=2)
    fresh_sandbox.options["salesforce_outbound_url"] = listener.url
    fresh_sandbox.deliveries.configure(delay_factor=0.001)
    try:
        lead_id = sf.Lead.create({"FirstName": "Ann", "LastName": "O'Hara", "Company": "A&B"},
                                 headers={"Sforce-Auto-Assign": "FALSE"})["id"]
        assert fresh_sandbox.deliveries.wait_idle(10)
    finally:
        fresh_sandbox.options["salesforce_outbound_url"] = None
        listener.server.shutdown()
    assert len(listener.bodies) == 3 and len(set(listener.bodies)) == 1  # same message, 3 tries
    assert listener.headers[0]["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(listener.bodies[-1])
    notifications = root.find(f"{{http://schemas.xmlsoap.org/soap/envelope/}}Body/{OM}notifications")
    org_id = fresh_sandbox.vendor("salesforce").store.org_id
    assert [child.tag for child in notifications] == [
        f"{OM}OrganizationId", f"{OM}ActionId", f"{OM}SessionId", f"{OM}EnterpriseUrl",
        f"{OM}PartnerUrl", f"{OM}Notification"]
    assert notifications.findtext(f"{OM}OrganizationId") == org_id
    assert notifications.find(f"{OM}SessionId").get(f"{XSI}nil") == "true"
    notification = notifications.find(f"{OM}Notification")
    assert notification.findtext(f"{OM}Id").startswith("04l")
    sobject = notification.find(f"{OM}sObject")
    assert sobject.get(f"{XSI}type") == "sf:Lead"
    assert sobject.findtext(f"{SF}Id") == lead_id
    assert (sobject.findtext(f"{SF}LastName"), sobject.findtext(f"{SF}Company")) == ("O'Hara", "A&B")
    [delivery] = fresh_sandbox.deliveries.list("salesforce")
    assert delivery["status"] == "delivered"
    assert [a["acked"] for a in delivery["attempts"]] == [False, False, True]


def test_generated_leads_also_fire_outbound_messages(fresh_sandbox):
    listener = Listener(failures=0)
    fresh_sandbox.options["salesforce_outbound_url"] = listener.url
    try:
        result = fresh_sandbox.generator.run("salesforce", count=3, seed=1)
        assert fresh_sandbox.deliveries.wait_idle(10)
    finally:
        fresh_sandbox.options["salesforce_outbound_url"] = None
        listener.server.shutdown()
    assert len(listener.bodies) == 3
    sent = {ElementTree.fromstring(b).find(f".//{SF}Id").text for b in listener.bodies}
    assert sent == set(result["ids"])
