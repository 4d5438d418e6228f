"""The two designs leadrouter is measured against, run in the same benchmark on the same sandbox
(each on a tenant of its own, so the sandbox counts each one's calls):

- ``NaiveConnector``: a webhook receiver that, per lead, reads it, queries the chosen rep's
  open-lead count and writes the owner: three calls a lead, as per-lead connectors do.
- ``PollingRouter``: every ``interval`` seconds, asks each CRM for its unassigned leads and
  writes their owners in the CRM's batch calls (generous to it: it batches, never re-reads and
  keeps no load count); between polls it sees nothing.

Both pick round robin over the same reps as leadrouter's routing config."""

from __future__ import annotations

import itertools
import json
import queue
import threading
from collections import defaultdict

import requests
from defusedxml import ElementTree
from werkzeug.serving import WSGIRequestHandler, make_server

from bench.crm import clients
from bench.rig import BenchError, Sandbox, Tenant

SOBJECT_NS = "{urn:sobject.enterprise.soap.sforce.com}"
ACK = (b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
       b'envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
       b'<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>')


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:   # no line per webhook on the bench's stderr
        pass


class _Router:
    def __init__(self, tenant: Tenant) -> None:
        reps = tenant.reps()
        self._turns = {vendor: itertools.cycle([r[vendor] for r in reps]) for vendor in ("hubspot", "salesforce")}
        self._lock = threading.Lock()
        self.routed: dict[str, set[str]] = defaultdict(set)
        self.errors: list[str] = []   # a failed call leaves its lead unrouted; the benchmark says so

    def next_rep(self, vendor: str) -> str:
        with self._lock:
            return next(self._turns[vendor])

    def done(self, vendor: str, ids) -> None:
        with self._lock:
            self.routed[vendor].update(ids)


class NaiveConnector(_Router):
    def __init__(self, sandbox: Sandbox, tenant: Tenant, threads: int = 4) -> None:
        super().__init__(tenant)
        self.sandbox, self.tenant = sandbox, tenant
        self.leads: queue.Queue = queue.Queue()
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.threads = [threading.Thread(target=self.server.serve_forever, daemon=True)]
        self.threads += [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def _wsgi(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if environ["PATH_INFO"] == "/hubspot":
            for event in json.loads(body):
                if event.get("subscriptionType") == "contact.creation":
                    self.leads.put(("hubspot", str(event["objectId"])))
            start_response("204 No Content", [])
            return [b""]
        for element in ElementTree.fromstring(body).iter(f"{SOBJECT_NS}Id"):
            self.leads.put(("salesforce", element.text))
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [ACK]

    def _work(self) -> None:
        apis = clients(self.sandbox, self.tenant, agent="naive-connector")   # a session per thread
        while (item := self.leads.get()) is not None:
            vendor, lead_id = item
            api, rep = apis[vendor], self.next_rep(vendor)
            try:
                api.get(lead_id)
                api.count_owned(rep)
                api.set_owner(lead_id, rep)
            except (BenchError, requests.RequestException) as exc:
                self.errors.append(str(exc))
                continue
            self.done(vendor, [lead_id])

    def stop(self) -> None:
        for _ in self.threads[1:]:
            self.leads.put(None)
        self.server.shutdown()


class PollingRouter(_Router):
    def __init__(self, sandbox: Sandbox, tenant: Tenant, interval: float) -> None:
        super().__init__(tenant)
        self.apis = clients(sandbox, tenant, agent="polling-router")
        self.interval = interval
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for vendor, api in self.apis.items():
                try:
                    while ids := api.unassigned():
                        api.set_owners([(lead_id, self.next_rep(vendor)) for lead_id in ids])
                        self.done(vendor, ids)
                except (BenchError, requests.RequestException) as exc:   # the next poll finds what is left
                    self.errors.append(str(exc))

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(30)
