"""Salesforce's state in the sandbox: its orgs (the seeded default org and any added one, each
with its own host, credentials, users and records), login sessions, and what happens in an org
outside the API (a web-to-lead form, a person reassigning a record, the assignment rule, outbound
messages). The routes (sandbox.salesforce.routes, .login, .collections, .control) take this state."""
from __future__ import annotations

import secrets
import threading
from typing import TYPE_CHECKING, Any


import sandbox.salesforce.ids as ids
from sandbox.salesforce.auth import Sessions
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.org import Org
from sandbox.salesforce.schema import object_for_id
from sandbox.salesforce.values import to_json
from sandbox.salesforce.versions import DEFAULT_VERSION
from sandbox.vendor import VendorState, addressed

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.demo import DemoOrg

# Canonical generator fields -> Lead fields.
LEAD_FIELD_MAP = {"first_name": "FirstName", "last_name": "LastName", "email": "Email",
                  "phone": "Phone", "title": "Title", "company": "Company", "website": "Website",
                  "industry": "Industry", "employees": "NumberOfEmployees", "country": "Country",
                  "state": "State", "source": "LeadSource",
                  # custom fields of the demo org (seed.declare_custom_fields); left out where undeclared
                  "segment": "Segment__c", "lead_score": "Lead_Score__c"}


# Extra orgs: pods (the instance part of their ids) and connected-app keys of their own.
EXTRA_PODS = ("8d", "4x", "2w", "7k", "9p", "3j", "6t", "1r")


def _current_org_attr(name: str) -> property:
    return property(lambda self: getattr(self.current(), name),
                    lambda self, value: setattr(self.current(), name, value))


class SalesforceState(VendorState):
    """Salesforce's state, for one or more orgs (sandbox.salesforce.org). A REST call is served
    by the org its session belongs to, on that org's host; a login by the org of the username (or
    connected app); control routes by the org named with ``?org_id=`` (default: the seeded org)."""

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.default = Org(sandbox)
        self.orgs: dict[str, Org] = {}
        self.sessions = Sessions()
        self._lock = threading.Lock()
        self._extra = 0

    # -- which org -------------------------------------------------------------------------
    def current(self) -> Org:
        """The org of this request: its session's, else the one a control call names with
        ``?org_id=``, else the default (seeded) org."""
        return addressed("sf_org", "org_id", self.org, self.default)

    def all_orgs(self) -> list[Org]:
        return [self.default, *self.orgs.values()]

    def org(self, org_id: str) -> Org:
        wanted = ids.normalize(str(org_id)) or str(org_id)
        for org in self.all_orgs():
            if org.org_id == wanted or org.org_id[:15] == str(org_id)[:15] and len(str(org_id)) == 15:
                return org
        raise KeyError(f"no Salesforce org {org_id}; orgs: {[o.org_id for o in self.all_orgs()]}")

    def add_org(self, *, org_id: str | None = None, name: str | None = None,
                client_id: str | None = None, client_secret: str | None = None,
                username: str | None = None, password: str | None = None,
                security_token: str | None = None, jwt_public_key: str | None = None,
                outbound_url: str | None = None, daily_api_limit: int | None = None,
                seed: str | None = "demo", leads: int = 0) -> Org:
        """Another org: its own connected app (a ``3MVG9…`` consumer key unless given), API
        user, org id, users and queue (seeded from a demo org, usernames suffixed so that they
        stay unique across Salesforce), and ``leads`` leads already in the intake queue."""
        from sandbox.demo import ORGS
        from sandbox.salesforce.seed import seed_org

        if not 0 <= int(leads) <= 10_000:
            raise ValueError("leads must be within 0..10000")
        if seed and seed not in ORGS:
            raise ValueError(f"unknown org {seed!r}; known: {sorted(ORGS)}")
        with self.sandbox.lock:
            if self._extra >= len(EXTRA_PODS):
                raise ValueError(f"at most {len(EXTRA_PODS)} extra orgs")
            pod = EXTRA_PODS[self._extra]
            n = self._extra + 1
            slug = f"org{n + 1}"
            username = username or f"integration@{slug}.sandbox.example"
            if self._user_by_username(username) is not None:
                raise ValueError(f"DUPLICATE_USERNAME: {username} is taken (usernames are unique "
                                 "across all Salesforce orgs)")
            if org_id is not None and (ids.normalize(org_id) is None or not org_id.startswith("00D")):
                raise ValueError(f"an org id is a 15 or 18 character 00D id, not {org_id!r}")
            org_id = ids.to18(org_id) if org_id else ids.to18(f"00D{pod}0000{n:06d}")
            if any(o.org_id == org_id for o in self.all_orgs()):
                raise ValueError(f"org {org_id} exists already")
            settings = {
                "client_id": client_id or "3MVG9" + secrets.token_urlsafe(60)[:80].replace("-", "A"),
                "client_secret": client_secret or secrets.token_hex(32).upper(),
                "username": username, "password": password or secrets.token_urlsafe(12),
                "security_token": security_token or secrets.token_urlsafe(18),
                "jwt_public_key": jwt_public_key, "outbound_url": outbound_url,
                "outbound_fields": self.sandbox.options["salesforce_outbound_fields"],
                "daily_api_limit": int(daily_api_limit or self.sandbox.options["salesforce_daily_api_limit"]),
            }
            org = Org(self.sandbox, pod=pod, settings=settings, instance_url=self.sandbox.address(slug))
            org.reset()
            if seed:
                seed_org(org, ORGS[seed], org_id=org_id, username_suffix=f".{slug}")
            org.store.org_id = org_id
            if name:
                org.org_name = name
            self._extra += 1
            self.orgs[org_id] = org
            for _ in range(int(leads)):
                self._seed_lead(org)
        return org

    def _seed_lead(self, org: Org) -> None:
        from sandbox.generator import LeadGenerator

        generator = getattr(org, "_generator", None) or LeadGenerator(seed=org.org_id)
        org._generator = generator
        self._insert_lead(org, generator.lead(), notify=False)

    def _user_by_username(self, username: str) -> tuple[Org, dict] | None:
        """Usernames are unique across Salesforce: the org and active user of one, if any."""
        for org in self.all_orgs():
            for user in org.store.rows("User"):
                if user["Username"].lower() == (username or "").lower() and user["IsActive"]:
                    return org, user
        return None

    def org_for_host(self, host: str) -> Org | None:
        """The org whose own instance host ``host`` (host:port) is; None: the shared login host."""
        for org in self.orgs.values():
            if org.has_own_host() and org.host == host:
                return org
        return None

    def org_for_client(self, client_id: str | None) -> Org | None:
        for org in self.all_orgs():
            if client_id and org.option("client_id") == client_id:
                return org
        return None

    # The current org's parts (the default org outside a request), for routes and tests.
    store = property(lambda self: self.current().store)
    cursors = property(lambda self: self.current().cursors)
    action_id = property(lambda self: self.current().action_id)
    daily_limit = _current_org_attr("daily_limit")
    api_used = _current_org_attr("api_used")
    _api_day = _current_org_attr("_api_day")
    pending_reassignments = _current_org_attr("pending_reassignments")
    org_name = _current_org_attr("org_name")

    def reset(self) -> None:
        """Back to the one default org, empty (added orgs are gone)."""
        with self.sandbox.lock:
            self.orgs.clear()
            self._extra = 0
            self.default.reset()
            self.sessions.reset()

    def seed_demo(self, org: "DemoOrg") -> None:
        from sandbox.salesforce.seed import seed_org

        with self.sandbox.lock:
            seed_org(self.default, org)

    def create_lead(self, data: dict) -> dict:
        """A lead arriving as web-to-lead would: assignment rule applied, outbound message sent.
        ``org_id`` names the org (default: the current one)."""
        data = dict(data)
        org = self.org(data.pop("org_id")) if data.get("org_id") else self.current()
        return self._insert_lead(org, data)

    def _insert_lead(self, org: Org, data: dict, *, notify: bool = True) -> dict:
        values: dict[str, Any] = {}
        lead = org.store.object("Lead")
        for key, value in data.items():
            target = LEAD_FIELD_MAP.get(key, key)
            if key in ("domain",) or lead.field(target) is None:
                continue  # canonical fields the Lead has no column for (in this org)
            values[target] = value
        values.setdefault("Company", "[not provided]")
        values.setdefault("LastName", "[not provided]")
        with self.sandbox.lock:
            try:
                record = org.store.insert("Lead", values, auto_assign=True)
            except SalesforceError as exc:
                raise ValueError(f"{exc.error_code}: {exc.message}") from None
            shaped = self.shape(record)
        if notify:
            org.lead_created([record], DEFAULT_VERSION)
        return shaped

    def get_record(self, record_type: str, record_id: str) -> dict | None:
        store = self.current().store
        obj = store.object(record_type)
        if obj is None:
            return None
        with self.sandbox.lock:
            record = store.get(obj.name, record_id)
            return self.shape(record) if record else None

    def describe(self) -> dict:
        with self.sandbox.lock:
            info = self.current().describe(DEFAULT_VERSION)
            info["orgs"] = [o.describe(DEFAULT_VERSION) for o in self.orgs.values()]
            return info

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
        obj = object_for_id(record_id)
        return obj.name if obj else "Lead"

    def count_api_call(self) -> None:
        self.current().count_api_call()

    def limit_header(self) -> str:
        return self.current().limit_header()

    def run_pending_reassignments(self) -> None:
        self.current().run_pending_reassignments(self.shape)

    def reassign_now(self, lead_id: str, owner_id: str) -> dict:
        return self.current().reassign_now(lead_id, owner_id, self.shape)

    def lead_created(self, records: list[dict]) -> None:
        self.current().lead_created(records, DEFAULT_VERSION)



__all__ = ["SalesforceState"]
