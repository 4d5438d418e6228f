"""The Salesforce part of the sandbox: REST API (query, sObject rows, sObject Collections,
limits), OAuth and SOAP login, the lead assignment rule, outbound messages, and its control
routes. Shapes follow Salesforce's REST API guide and what simple-salesforce sends."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import flask

from sandbox.core import Vendor
from sandbox.salesforce import ids, outbound
from sandbox.salesforce.auth import Sessions
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.store import Store
from sandbox.salesforce.values import to_json

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.demo import DemoOrg

DEFAULT_VERSION = "59.0"
API_VERSIONS = {"55.0": "Summer '22", "56.0": "Winter '23", "57.0": "Spring '23",
                "58.0": "Summer '23", "59.0": "Winter '24", "60.0": "Spring '24",
                "61.0": "Summer '24", "62.0": "Winter '25"}

# Canonical generator fields -> Lead fields.
LEAD_FIELD_MAP = {"first_name": "FirstName", "last_name": "LastName", "email": "Email",
                  "phone": "Phone", "title": "Title", "company": "Company", "website": "Website",
                  "industry": "Industry", "employees": "NumberOfEmployees", "country": "Country",
                  "state": "State", "source": "LeadSource",
                  # custom fields of the demo org (seed.declare_custom_fields); left out where undeclared
                  "segment": "Segment__c", "lead_score": "Lead_Score__c"}


class SalesforceVendor(Vendor):
    name = "salesforce"
    prefixes = ("/services/", "/id/")

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.store = Store(sandbox.clock)
        self.sessions = Sessions()
        self.cursors: OrderedDict[str, dict] = OrderedDict()
        self.daily_limit = int(sandbox.options["salesforce_daily_api_limit"])
        self.api_used = 0
        self._api_day = None
        self.pending_reassignments: list[dict] = []
        self.action_id = ids.to18("04k5g000000SbxA")
        self.org_name = "leadrouter sandbox"
        self._lock = threading.Lock()

    # -- Vendor contract -------------------------------------------------------------------
    def blueprint(self) -> flask.Blueprint:
        from sandbox.salesforce.routes import build_blueprint

        return build_blueprint(self)

    def control_blueprint(self) -> flask.Blueprint | None:
        from sandbox.salesforce.control import build_control_blueprint

        return build_control_blueprint(self)

    def fault_response(self, status: int, *, retry_after: float | None = None) -> flask.Response:
        if status == 429:  # Salesforce has no 429: a request limit is a 403
            error = SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        elif status == 503:
            error = SalesforceError(503, "SERVER_UNAVAILABLE",
                                    "Server temporarily unavailable, please try again later.")
        else:
            error = SalesforceError(status, "UNKNOWN_EXCEPTION",
                                    "An unexpected error occurred. Please include this ErrorId "
                                    "if you contact support: 1234567890-12345 (-1234567890)")
        return error.response()

    def http_error(self, status: int) -> flask.Response | None:
        if status == 405:
            method = flask.request.method
            return SalesforceError(405, "METHOD_NOT_ALLOWED",
                                   f"HTTP Method '{method}' not allowed. Allowed are "
                                   "GET,HEAD,PATCH,POST,DELETE").response()
        return SalesforceError(404, "NOT_FOUND",
                               "The requested resource does not exist").response()

    def reset(self) -> None:
        with self.sandbox.lock:
            self.store.reset()
            self.sessions.reset()
            self.cursors.clear()
            self.daily_limit = int(self.sandbox.options["salesforce_daily_api_limit"])
            self.api_used = 0
            self._api_day = None
            self.pending_reassignments.clear()

    def seed_demo(self, org: "DemoOrg") -> None:
        from sandbox.salesforce.seed import seed_org

        with self.sandbox.lock:
            seed_org(self, org)

    def create_lead(self, data: dict) -> dict:
        """A lead arriving as web-to-lead would: assignment rule applied, outbound message sent."""
        values: dict[str, Any] = {}
        lead = self.store.object("Lead")
        for key, value in data.items():
            target = LEAD_FIELD_MAP.get(key, key)
            if key in ("domain",) or lead.field(target) is None:
                continue  # canonical fields the Lead has no column for (in this org)
            values[target] = value
        values.setdefault("Company", "[not provided]")
        values.setdefault("LastName", "[not provided]")
        with self.sandbox.lock:
            try:
                record = self.store.insert("Lead", values, auto_assign=True)
            except SalesforceError as exc:
                raise ValueError(f"{exc.error_code}: {exc.message}") from None
            shaped = self.shape(record)
        self.lead_created([record])
        return shaped

    def get_record(self, record_type: str, record_id: str) -> dict | None:
        obj = self.store.object(record_type)
        if obj is None:
            return None
        with self.sandbox.lock:
            record = self.store.get(obj.name, record_id)
            return self.shape(record) if record else None

    def describe(self) -> dict:
        base = self.sandbox.base_url
        opts = self.sandbox.options
        return {
            "instance_url": base, "api_version": DEFAULT_VERSION,
            "token_url": f"{base}/services/oauth2/token",
            "soap_login_url": f"{base}/services/Soap/u/{DEFAULT_VERSION}",
            "client_id": opts["salesforce_client_id"],
            "client_secret": opts["salesforce_client_secret"],
            "username": opts["salesforce_username"], "password": opts["salesforce_password"],
            "security_token": opts["salesforce_security_token"],
            "org_id": self.store.org_id, "outbound_url": opts["salesforce_outbound_url"],
            "intake_queue_id": self.store.assignment_owner_id,
        }

    # -- shared helpers --------------------------------------------------------------------
    def shape(self, record: dict, fields: list[str] | None = None,
              version: str = DEFAULT_VERSION) -> dict:
        type_name = self._type_of(record["Id"])
        out: dict[str, Any] = {"attributes": {
            "type": type_name, "url": f"/services/data/v{version}/sobjects/{type_name}/{record['Id']}"}}
        for name in fields or list(record):
            out[name] = to_json(record.get(name))
        return out

    @staticmethod
    def _type_of(record_id: str) -> str:
        from sandbox.salesforce.schema import object_for_id

        obj = object_for_id(record_id)
        return obj.name if obj else "Lead"

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

    def run_pending_reassignments(self) -> None:
        """A human reassigning a lead in the UI, N API calls from when the test asked for it."""
        due = []
        with self._lock:
            for item in self.pending_reassignments:
                item["after_calls"] -= 1
                if item["after_calls"] <= 0:
                    due.append(item)
            self.pending_reassignments = [i for i in self.pending_reassignments if i not in due]
        for item in due:
            self.reassign_now(item["lead_id"], item["owner_id"])

    def reassign_now(self, lead_id: str, owner_id: str) -> dict:
        with self.sandbox.lock:
            record = self.store.update("Lead", lead_id, {"OwnerId": owner_id}, auto_assign=False,
                                       user_id=owner_id if owner_id.startswith("005") else None)
            return self.shape(record)

    def lead_created(self, records: list[dict]) -> None:
        url = self.sandbox.options.get("salesforce_outbound_url")
        if not url or not records:
            return
        fields = list(self.sandbox.options["salesforce_outbound_fields"])
        base = self.sandbox.base_url
        for start in range(0, len(records), outbound.MAX_NOTIFICATIONS):
            chunk = records[start:start + outbound.MAX_NOTIFICATIONS]
            notifications = [(self.store.ids.new(ids.PREFIXES["OutboundMessageNotification"]),
                              "Lead", {f: to_json(r.get(f)) for f in fields}) for r in chunk]
            body = outbound.envelope(
                org_id=self.store.org_id, action_id=self.action_id,
                enterprise_url=f"{base}/services/Soap/c/{DEFAULT_VERSION}/{self.store.org_id[:15]}",
                partner_url=f"{base}/services/Soap/u/{DEFAULT_VERSION}/{self.store.org_id[:15]}",
                notifications=notifications)
            self.sandbox.deliveries.deliver(
                url, body, dict(outbound.HEADERS), max_attempts=outbound.MAX_ATTEMPTS,
                is_ack=outbound.is_ack, vendor=self.name,
                label=",".join(r["Id"] for r in chunk))


__all__ = ["SalesforceVendor", "DEFAULT_VERSION", "API_VERSIONS"]
