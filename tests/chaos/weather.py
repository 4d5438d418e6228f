"""Everything that goes wrong during the chaos suite's day, done through the CRM sandbox's control
plane (``/__sandbox__/``, over HTTPS) as a vendor's bad day and a sales team's habits would:

- ``storm``: 30 % 5xx on the CRMs' reads and writes, 429 bursts with Retry-After, duplicated and
  reordered webhooks / outbound messages, and every Salesforce session expired every few seconds;
- ``People``: CRM users outside the rotation who take some leads right after they are created,
  and take a lead of an owner write that has just answered 5xx (while leadrouter backs off);
- ``CallLog``: the sandbox's request log followed as it grows (it keeps only its last 20,000
  calls), with the lead ids each owner write and owner check carries."""

from __future__ import annotations

import json
import random
import re
import threading
from collections import Counter
from urllib.parse import unquote_plus

from tests.acceptance.harness import Crm

SF_SINGLE = re.compile(r"/services/data/v[\d.]+/sobjects/Lead/(\w+)$")
# Where the storm rains: every read and write leadrouter makes, never the form that creates a lead.
STORM_PATHS = {"hubspot": ("/crm/v3/objects/contacts/batch/*", "/crm/v3/objects/contacts/search"),
               "salesforce": ("/services/data/*/query*", "/services/data/*/composite/*",
                              "/services/data/*/sobjects/Lead/*")}


def owner_writes(entry: dict) -> dict[str, str]:
    """lead id -> owner id, for the records an owner write request carries ({} for other calls)."""
    path, method, vendor = entry["path"], entry["method"], entry["vendor"]
    hubspot = vendor == "hubspot" and method == "POST" and path == "/crm/v3/objects/contacts/batch/update"
    single = SF_SINGLE.search(path) if vendor == "salesforce" and method == "PATCH" else None
    composite = vendor == "salesforce" and method == "PATCH" and path.endswith("/composite/sobjects")
    if not (hubspot or single or composite):
        return {}
    body = json.loads(entry["body"] or "{}")
    if hubspot:
        return {str(i["id"]): i["properties"].get("hubspot_owner_id") for i in body.get("inputs", [])}
    if single:
        return {single.group(1): body.get("OwnerId")}
    return {str(r["id"]): r.get("OwnerId") for r in body.get("records", []) if r.get("id")}


def checked(entry: dict) -> set[str]:
    """The lead ids a read / owner check asks about (SOQL, HubSpot batch read)."""
    if entry["vendor"] == "salesforce" and "/query" in entry["path"]:
        return set(re.findall(r"'(\w{15,18})'", unquote_plus(entry["query"])))
    if entry["vendor"] == "hubspot" and entry["path"] == "/crm/v3/objects/contacts/batch/read":
        return {str(i["id"]) for i in json.loads(entry["body"] or "{}").get("inputs", [])}
    return set()


class CallLog:
    """Every answered CRM call, read from the control plane as the log grows."""

    def __init__(self, crm: Crm) -> None:
        self.crm, self.entries, self.cursor = crm, [], 0
        self.lock = threading.Lock()

    def read(self) -> list[dict]:
        """The calls answered since the last read (the cursor passes only answered ones)."""
        with self.lock:
            fresh = [e for e in self.crm.control(f"requests?since={self.cursor}")["requests"]]
            answered = []
            for entry in fresh:
                if entry["status"] is None:
                    break
                answered.append(entry)
                self.cursor = entry["seq"]
            self.entries += answered
            return answered

    def faults(self) -> Counter:
        return Counter(e["fault"] for e in self.entries if e["fault"])


def fault(crm: Crm, **rule) -> int:
    """One fault rule (its body has a ``path`` key, which ``Crm.control`` takes for its own)."""
    answer = crm.http.post(f"{crm.url}/__sandbox__/faults", json=rule, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def storm(crm: Crm) -> list[int]:
    """Start the 5xx rain and the duplicated, reordered deliveries; the fault rule ids."""
    rules = [fault(crm, kind="error", status=503, rate=0.3, vendor=vendor, path=path)
             for vendor, paths in STORM_PATHS.items() for path in paths]
    crm.control("hubspot/webhooks", "POST", duplicate_rate=0.3, reorder=True)
    crm.control("deliveries", "POST", duplicate_rate=0.3, reorder_ms=300)
    return rules


def gusts(crm: Crm, tick: int) -> list[int]:
    """Every tick: all Salesforce sessions expire; every third tick a 429 burst on each CRM
    (HubSpot: 429 with Retry-After 1; Salesforce: 403 REQUEST_LIMIT_EXCEEDED)."""
    crm.control("salesforce/expire-sessions", "POST")
    if tick % 3:
        return []
    return [fault(crm, kind="burst", count=3, retry_after=1, vendor="hubspot", path="/crm/v3/objects/contacts/*"),
            fault(crm, kind="burst", count=2, vendor="salesforce", path="*/query*")]


def calm(crm: Crm) -> None:
    crm.control("faults", "DELETE")
    crm.control("hubspot/webhooks", "POST", duplicate_rate=0.0, reorder=False)
    crm.control("deliveries", "POST", duplicate_rate=0.0, reorder_ms=0)


class People:
    """Humans in the CRM (its UI, through the control plane): ``took`` maps (vendor, lead id) to
    the owner they set; ``after_5xx`` are those taken right after a failed owner write."""

    def __init__(self, crm: Crm, log: CallLog, humans: dict[str, str], seed: int = 7) -> None:
        self.crm, self.log, self.humans = crm, log, humans
        self.took: dict[tuple[str, str], str] = {}
        self.after_5xx: set[tuple[str, str]] = set()
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="people", daemon=True)

    def start_watching(self) -> None:
        """From now on, a failed owner write may make someone take one of its leads."""
        self.thread.start()

    def take(self, vendor: str, lead_id: str) -> bool:
        """The person sets their owner on the lead, once (False: they had already)."""
        key, owner = (vendor, lead_id), self.humans[vendor]
        with self.lock:
            first = key not in self.took
            self.took.setdefault(key, owner)
        if first:
            field = "lead_id" if vendor == "salesforce" else "contact_id"
            self.crm.control(f"{vendor}/reassign", "POST", **{field: lead_id, "owner_id": owner})
        return first

    def _watch(self) -> None:
        while not self.stopping.wait(0.02):
            for entry in self.log.read():
                written = owner_writes(entry)
                if written and entry["status"] >= 500 and self.random.random() < 0.5:
                    free = sorted(i for i in written if (entry["vendor"], i) not in self.took)
                    if free and self.take(entry["vendor"], lead := self.random.choice(free)):
                        self.after_5xx.add((entry["vendor"], lead))

    def close(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(5)
