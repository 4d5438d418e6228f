"""CRM API calls per router, counted by the sandbox: its request log (``/__sandbox__/requests``)
read as it grows, each call given to the tenant whose credentials it carries (a HubSpot
private-app token; a Salesforce session, which starts with its org id, or a login naming the
org's user). The benchmark's own reads (``AUDIT_AGENT``) are not anyone's."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import Counter
from urllib.parse import quote_plus

from bench.rig import AUDIT_AGENT, Sandbox, Tenant

RECORD_ID = re.compile(r"/(?:\d{3,}|[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?)(?=/|$)")   # HubSpot / Salesforce ids


class CallCounter:
    def __init__(self, sandbox: Sandbox, tenants: dict[str, Tenant]) -> None:
        self.sandbox = sandbox
        self.tokens = {f"Bearer {t.token}": name for name, t in tenants.items()}
        self.orgs = {t.org_id[:15]: name for name, t in tenants.items()}
        self.users = {name: (quote_plus(t.sf_login["username"]), t.sf_login["username"]) for name, t in tenants.items()}
        self.counts: Counter[tuple[str, str]] = Counter()
        self.endpoints: Counter[tuple[str, str]] = Counter()   # (tenant, "METHOD /path") -> calls
        self.lock = threading.Lock()
        self._cursor, self._counted = 0, set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="call-counter", daemon=True)
        self._thread.start()

    def tenant_of(self, entry: dict) -> str | None:
        headers = entry["headers"]
        if headers.get("User-Agent") == AUDIT_AGENT:
            return None
        auth = headers.get("Authorization") or ""
        if entry["vendor"] == "hubspot":
            return self.tokens.get(auth)
        if entry["vendor"] != "salesforce":
            return None
        if auth:
            return self.orgs.get(auth.split(None, 1)[-1][:15])
        body = entry["body"] or ""   # the OAuth token request or the SOAP login names the user
        return next((name for name, (encoded, plain) in self.users.items()
                     if f"username={encoded}&" in body + "&" or f">{plain}<" in body), None)

    def read(self) -> None:
        """Count every answered call the log shows since the last read."""
        with self.lock:   # one reader at a time: the cursor and the counted set move together
            entries = self.sandbox.requests_since(self._cursor)
            for entry in entries:
                if entry["status"] is None or entry["seq"] in self._counted:
                    continue
                self._counted.add(entry["seq"])
                tenant = self.tenant_of(entry)
                if tenant is not None:
                    self.counts[(tenant, entry["vendor"])] += 1
                    self.endpoints[(tenant, f"{entry['method']} {RECORD_ID.sub('/{id}', entry['path'])}")] += 1
            for entry in entries:   # the cursor passes only answered calls
                if entry["status"] is None:
                    break
                self._cursor = entry["seq"]
            self._counted = {seq for seq in self._counted if seq > self._cursor}

    def snapshot(self) -> Counter[tuple[str, str]]:
        self.read()
        with self.lock:
            return Counter(self.counts)

    def endpoint_snapshot(self) -> Counter[tuple[str, str]]:
        self.read()
        with self.lock:
            return Counter(self.endpoints)

    def settle(self, tenant: str, quiet: float = 2.0, timeout: float = 60) -> None:
        """Until ``tenant`` has made no call for ``quiet`` seconds (start-up syncs done)."""
        deadline, last, seen = time.monotonic() + timeout, time.monotonic(), -1
        while time.monotonic() < deadline:
            now = sum(n for (name, _), n in self.snapshot().items() if name == tenant)
            if now != seen:
                seen, last = now, time.monotonic()
            elif time.monotonic() - last >= quiet:
                return
            time.sleep(0.25)

    def _follow(self) -> None:
        while not self._stop.wait(0.5):   # the log keeps its last 20,000 calls: read it often
            with contextlib.suppress(Exception):   # a missed read is made on the next turn
                self.read()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
