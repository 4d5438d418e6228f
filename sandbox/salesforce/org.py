"""One Salesforce org: its records (users, queues, leads, ...), its connected app and API user
(client id / secret, username, password, security token, JWT certificate), its org id (00D…),
its daily API allowance, query cursors and outbound message endpoint.

Each org has its own host (``instance_url``, its My Domain): its logins answer with it, and its
REST API answers there, and only there, to its own sessions. The default org's host is the
sandbox's own address, which is also the login host every org shares (login.salesforce.com).

Ids are unique across all of Salesforce (each org here has its own pod part, ``00Q8d0000…``),
and so are usernames: a login names its org through the user's username (or, for the client
credentials flow, the connected app's "run as" user). Sessions carry the org id in front
(``00D…!…``) and only reach their own org's data.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import sandbox.salesforce.ids as ids
import sandbox.salesforce.outbound as outbound
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.store import Store
from sandbox.salesforce.values import to_json

# The credentials and settings an org holds, as keys of the sandbox options (without the
# "salesforce_" prefix); the default org reads them from the options, others hold their own.
ORG_SETTINGS = ("client_id", "client_secret", "username", "password", "security_token",
                "jwt_public_key", "outbound_url", "outbound_fields", "daily_api_limit")


class Org:
    def __init__(self, sandbox: Any, *, pod: str = "5g", settings: dict | None = None,
                 instance_url: str | None = None) -> None:
        self.sandbox = sandbox
        self.pod = pod
        self._instance_url = instance_url   # None: the sandbox's own address (the default org)
        self.store = Store(sandbox.clock, pod=pod)
        self._settings = settings   # None: the sandbox options (the default org)
        self.cursors: OrderedDict[str, dict] = OrderedDict()
        self.daily_limit = int(self.option("daily_api_limit"))
        self.api_used = 0
        self._api_day = None
        self.pending_reassignments: list[dict] = []
        self.action_id = ids.to18(f"04k{pod}000000SbxA")
        self.org_name = "leadrouter sandbox"
        self._lock = threading.Lock()

    @property
    def org_id(self) -> str:
        return self.store.org_id

    @property
    def instance_url(self) -> str:
        return self._instance_url or self.sandbox.base_url

    def has_own_host(self) -> bool:
        return self._instance_url is not None

    @property
    def host(self) -> str:
        """host:port of the org's instance URL (what a request's Host header names)."""
        return self.instance_url.partition("://")[2].rstrip("/")

    def option(self, key: str) -> Any:
        if self._settings is None:
            return self.sandbox.options[f"salesforce_{key}"]
        return self._settings[key]

    def set_option(self, key: str, value: Any) -> None:
        if self._settings is None:
            self.sandbox.options[f"salesforce_{key}"] = value
        else:
            self._settings[key] = value

    def reset(self) -> None:
        self.store.reset()
        self.cursors.clear()
        self.daily_limit = int(self.option("daily_api_limit"))
        self.api_used = 0
        self._api_day = None
        self.pending_reassignments.clear()

    # -- the API allowance -----------------------------------------------------------------
    def count_api_call(self) -> None:
        """One call against DailyApiRequests; the day rolls over with the sandbox clock."""
        today = self.sandbox.clock.now().date()
        with self._lock:
            if self._api_day != today:
                self._api_day, self.api_used = today, 0
            if self.api_used >= self.daily_limit:
                raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.api_used += 1

    def limit_header(self) -> str:
        return f"api-usage={self.api_used}/{self.daily_limit}"

    # -- people in the UI, workflow rules ----------------------------------------------------
    def run_pending_reassignments(self, shape: Any) -> None:
        """A human reassigning a lead in the UI, N API calls from when the test asked for it."""
        due = []
        with self._lock:
            for item in self.pending_reassignments:
                item["after_calls"] -= 1
                if item["after_calls"] <= 0:
                    due.append(item)
            self.pending_reassignments = [i for i in self.pending_reassignments if i not in due]
        for item in due:
            self.reassign_now(item["lead_id"], item["owner_id"], shape)

    def reassign_now(self, record_id: str, owner_id: str, shape: Any) -> dict:
        """A person changes the owner of a lead or a contact in the UI."""
        with self.sandbox.lock:
            found = self.store.find(record_id)
            record = self.store.update(found[0] if found else "Lead", record_id, {"OwnerId": owner_id},
                                       auto_assign=False, user_id=owner_id if owner_id.startswith("005") else None)
            return shape(record)

    def lead_created(self, records: list[dict], version: str) -> None:
        url = self.option("outbound_url")
        if not url or not records:
            return
        fields = list(self.option("outbound_fields"))
        base = self.instance_url
        org15 = self.store.org_id[:15]
        for start in range(0, len(records), outbound.MAX_NOTIFICATIONS):
            chunk = records[start:start + outbound.MAX_NOTIFICATIONS]
            notifications = [(self.store.ids.new(ids.PREFIXES["OutboundMessageNotification"]),
                              "Lead", {f: to_json(r.get(f)) for f in fields}) for r in chunk]
            body = outbound.envelope(
                org_id=self.store.org_id, action_id=self.action_id,
                enterprise_url=f"{base}/services/Soap/c/{version}/{org15}",
                partner_url=f"{base}/services/Soap/u/{version}/{org15}",
                notifications=notifications)
            self.sandbox.deliveries.deliver(
                url, body, dict(outbound.HEADERS), max_attempts=outbound.MAX_ATTEMPTS,
                is_ack=outbound.is_ack, vendor="salesforce",
                label=",".join(r["Id"] for r in chunk))

    def describe(self, version: str) -> dict:
        base, login = self.instance_url, self.sandbox.base_url
        users = [{"Id": u["Id"], "Username": u["Username"], "Email": u["Email"], "Name": u["Name"],
                  "IsActive": u["IsActive"]} for u in self.store.rows("User")]
        queues = [{"Id": g["Id"], "Name": g["Name"], "DeveloperName": g["DeveloperName"]}
                  for g in self.store.rows("Group") if g.get("Type") == "Queue"]
        return {
            "instance_url": base, "api_version": version, "org_id": self.store.org_id,
            "org_name": self.org_name,
            "login_url": login, "token_url": f"{login}/services/oauth2/token",
            "soap_login_url": f"{login}/services/Soap/u/{version}",
            "client_id": self.option("client_id"), "client_secret": self.option("client_secret"),
            "username": self.option("username"), "password": self.option("password"),
            "security_token": self.option("security_token"),
            "outbound_url": self.option("outbound_url"),
            "intake_queue_id": self.store.assignment_owner_id,
            "users": users, "queues": queues,
            "leads": len(self.store.rows("Lead")),
        }


__all__ = ["Org", "ORG_SETTINGS"]
