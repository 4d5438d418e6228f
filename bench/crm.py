"""Small clients of the vendors' public REST APIs (HubSpot CRM v3, Salesforce REST), written from
the vendors' documentation and not from leadrouter's adapters: the baseline routers use them,
and every benchmark reads its results back with them (what a person sees in the CRM)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from bench.rig import AUDIT_AGENT, BenchError, Sandbox, Tenant, session

API = "/services/data/v59.0"


def when(value: str) -> datetime:
    """A CRM date-time (HubSpot ``...Z``, Salesforce ``...+0000``), milliseconds kept."""
    return datetime.fromisoformat(value)


def chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class HubSpotApi:
    """A private app's calls on one portal (developers.hubspot.com/docs/api/crm/contacts)."""

    vendor = "hubspot"

    def __init__(self, sandbox: Sandbox, tenant: Tenant, agent: str = AUDIT_AGENT) -> None:
        self.base, self.http = sandbox.url, session(sandbox.ca_path, agent)
        self.http.headers["Authorization"] = f"Bearer {tenant.token}"

    def _call(self, method: str, path: str, **body) -> dict:
        response = self.http.request(method, self.base + path, json=body or None, timeout=30)
        if response.status_code >= 300:
            raise BenchError(f"HubSpot {method} {path}: {response.status_code} {response.text[:200]}")
        return response.json() if response.content else {}

    def ping(self) -> None:
        self._call("GET", "/crm/v3/owners/?limit=1")

    def create(self, tags: list[str]) -> list[str]:
        """New unowned contacts, 100 a call (batch create fires contact.creation for each)."""
        ids = []
        for part in chunks(tags, 100):
            found = self._call("POST", "/crm/v3/objects/contacts/batch/create", inputs=[{"properties": {
                "email": f"{t}@{t}.example", "firstname": t.title(), "lastname": "Bench", "company": f"{t.title()} Inc",
                "country": "US"}} for t in part])
            ids += [r["id"] for r in found["results"]]
        return ids

    def get(self, lead_id: str) -> dict:
        return self._call("GET", f"/crm/v3/objects/contacts/{lead_id}?properties=email,hubspot_owner_id")

    def count_owned(self, owner_id: str) -> int:
        found = self._call("POST", "/crm/v3/objects/contacts/search", limit=1, filterGroups=[{"filters": [
            {"propertyName": "hubspot_owner_id", "operator": "EQ", "value": owner_id}]}])
        return int(found["total"])

    def set_owner(self, lead_id: str, owner_id: str) -> None:
        self._call("PATCH", f"/crm/v3/objects/contacts/{lead_id}", properties={"hubspot_owner_id": owner_id})

    def unassigned(self) -> list[str]:
        """One search page (100) of contacts without an owner, oldest first."""
        found = self._call("POST", "/crm/v3/objects/contacts/search", limit=100, properties=["email"],
                           sorts=[{"propertyName": "createdate", "direction": "ASCENDING"}],
                           filterGroups=[{"filters": [{"propertyName": "hubspot_owner_id",
                                                       "operator": "NOT_HAS_PROPERTY"}]}])
        return [r["id"] for r in found["results"]]

    def pending(self, since: datetime) -> int:
        """Contacts created since ``since`` that still have no owner."""
        found = self._call("POST", "/crm/v3/objects/contacts/search", limit=1, filterGroups=[{"filters": [
            {"propertyName": "hubspot_owner_id", "operator": "NOT_HAS_PROPERTY"},
            {"propertyName": "createdate", "operator": "GTE", "value": str(int(since.timestamp() * 1000))}]}])
        return int(found["total"])

    def set_owners(self, pairs: list[tuple[str, str]]) -> None:
        for part in chunks(pairs, 100):
            self._call("POST", "/crm/v3/objects/contacts/batch/update",
                       inputs=[{"id": i, "properties": {"hubspot_owner_id": o}} for i, o in part])

    def timeline(self, ids: list[str]) -> dict[str, tuple[datetime, datetime, str | None]]:
        """id -> (created, last modified, owner): the owner write is the last change of a lead."""
        out = {}
        for part in chunks(ids, 100):
            found = self._call("POST", "/crm/v3/objects/contacts/batch/read", inputs=[{"id": i} for i in part],
                               properties=["createdate", "lastmodifieddate", "hubspot_owner_id"])
            for r in found["results"]:
                p = r["properties"]
                out[r["id"]] = (when(p["createdate"]), when(p["lastmodifieddate"]), p.get("hubspot_owner_id") or None)
        return out


class SalesforceApi:
    """The integration user's REST calls on one org (developer.salesforce.com, REST API guide)."""

    vendor = "salesforce"

    def __init__(self, sandbox: Sandbox, tenant: Tenant, agent: str = AUDIT_AGENT,
                 queue_name: str = "Inbound Leads") -> None:
        self.base, self.http = sandbox.url, session(sandbox.ca_path, agent)
        login = tenant.sf_login
        answer = self.http.post(f"{self.base}/services/oauth2/token", timeout=30, data={
            "grant_type": "password", **login})
        if answer.status_code != 200:
            raise BenchError(f"Salesforce login for {login['username']}: {answer.status_code} {answer.text[:200]}")
        token = answer.json()
        self.base = token["instance_url"]   # the org's own host (its My Domain), as the login answers
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"
        # Without it the org's active assignment rule runs on every update and puts the lead
        # back in its queue (REST API guide, "Sforce-Auto-Assign" header: TRUE by default).
        self.http.headers["Sforce-Auto-Assign"] = "FALSE"
        self.queue = self.query(f"SELECT Id FROM Group WHERE Type = 'Queue' AND Name = '{queue_name}'")[0]["Id"]

    def _call(self, method: str, path: str, body=None) -> dict:
        response = self.http.request(method, self.base + path, json=body, timeout=30)
        if response.status_code >= 300:
            raise BenchError(f"Salesforce {method} {path}: {response.status_code} {response.text[:200]}")
        return response.json() if response.content else {}

    def query(self, soql: str) -> list[dict]:
        page = self.http.get(f"{self.base}{API}/query", params={"q": soql}, timeout=30)
        if page.status_code != 200:
            raise BenchError(f"Salesforce query: {page.status_code} {page.text[:200]}")
        answer, records = page.json(), []
        while True:
            records += answer["records"]
            if answer.get("done", True):
                return records
            answer = self._call("GET", answer["nextRecordsUrl"])

    def ping(self) -> None:
        self.query("SELECT Id FROM User LIMIT 1")

    def create(self, tags: list[str]) -> list[str]:
        """New leads, 200 a call (sObject Collections), each put in the intake queue by the org's
        assignment rule (``Sforce-Auto-Assign: TRUE`` on these calls) and sent in its outbound message."""
        ids = []
        for part in chunks(tags, 200):
            answer = self.http.post(f"{self.base}{API}/composite/sobjects", timeout=30,
                                    headers={"Sforce-Auto-Assign": "TRUE"}, json={"allOrNone": True, "records": [
                                        {"attributes": {"type": "Lead"}, "FirstName": t.title(), "LastName": "Bench",
                                         "Company": f"{t.title()} Inc", "Email": f"{t}@{t}.example", "Country": "US"}
                                        for t in part]})
            if answer.status_code >= 300:
                raise BenchError(f"Salesforce create: {answer.status_code} {answer.text[:200]}")
            ids += [r["id"] for r in answer.json()]
        return ids

    def get(self, lead_id: str) -> dict:
        return self._call("GET", f"{API}/sobjects/Lead/{lead_id}")

    def count_owned(self, owner_id: str) -> int:
        answer = self._call("GET", f"{API}/query?q=SELECT+COUNT()+FROM+Lead+WHERE+OwnerId+%3D+'{owner_id}'"
                                   "+AND+IsConverted+%3D+false")
        return int(answer["totalSize"])

    def set_owner(self, lead_id: str, owner_id: str) -> None:
        self._call("PATCH", f"{API}/sobjects/Lead/{lead_id}", {"OwnerId": owner_id})

    def unassigned(self) -> list[str]:
        """One page (200) of open leads still in the intake queue, oldest first."""
        rows = self.query(f"SELECT Id FROM Lead WHERE OwnerId = '{self.queue}' AND IsConverted = false "
                          "ORDER BY CreatedDate LIMIT 200")
        return [r["Id"] for r in rows]

    def pending(self, since: datetime) -> int:
        """Leads created since ``since`` still in the intake queue."""
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = self._call("GET", f"{API}/query?q=SELECT+COUNT()+FROM+Lead+WHERE+OwnerId+%3D+'{self.queue}'"
                                   f"+AND+CreatedDate+%3E%3D+{stamp}")
        return int(answer["totalSize"])

    def set_owners(self, pairs: list[tuple[str, str]]) -> None:
        for part in chunks(pairs, 200):
            self._call("PATCH", f"{API}/composite/sobjects", {"allOrNone": False, "records": [
                {"attributes": {"type": "Lead"}, "id": i, "OwnerId": o} for i, o in part]})

    def timeline(self, ids: list[str]) -> dict[str, tuple[datetime, datetime, str | None]]:
        out = {}
        for part in chunks(ids, 200):
            quoted = ",".join(f"'{i}'" for i in part)
            for r in self.query(f"SELECT Id, CreatedDate, LastModifiedDate, OwnerId FROM Lead WHERE Id IN ({quoted})"):
                owner = r["OwnerId"] if not r["OwnerId"].startswith("00G") else None
                out[r["Id"]] = (when(r["CreatedDate"]), when(r["LastModifiedDate"]), owner)
        return out


def clients(sandbox: Sandbox, tenant: Tenant, agent: str = AUDIT_AGENT) -> dict[str, HubSpotApi | SalesforceApi]:
    return {"hubspot": HubSpotApi(sandbox, tenant, agent), "salesforce": SalesforceApi(sandbox, tenant, agent)}
