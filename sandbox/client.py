"""A client for the sandbox's control plane (``/__sandbox__/...``, ``sandbox/control.py`` and each
vendor's ``control.py``): what tests, benchmarks and the demo use to steer a running sandbox over
HTTP, so no caller spells the control plane's URLs itself.

    client = SandboxClient(running.url, ca=running.ca_path)
    client.reset()
    lead = client.create_lead("hubspot", first_name="Zoë", last_name="Novak")
    client.hubspot.reassign(contact_id=lead["id"], owner="liam")     # a person in HubSpot's UI
    client.salesforce.org(org_id).set_outbound_url(url)              # another org than the default
    dms = client.slack.messages()

Each method answers the route's JSON as the control plane sends it. An answer of 300 or more
raises ``SandboxError`` carrying the route, the status and the control plane's ``error``; the
sandbox's own tests of those errors call the routes directly. ``call()`` reaches a route this
client has no method for yet.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import requests

PREFIX = "/__sandbox__"


class SandboxError(Exception):
    """The control plane refused a request: ``status`` and its ``error`` message."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{method} {PREFIX}/{path}: {status} {message}")
        self.status, self.message = status, message


class SandboxClient:
    """The control plane of the sandbox at ``url``; ``ca``: the CA file of a TLS sandbox."""

    def __init__(self, url: str, *, ca: str | Path | None = None, timeout: float = 10,
                 session: requests.Session | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()
        self.http.trust_env = False     # no proxy, and REQUESTS_CA_BUNDLE does not replace our CA
        if ca is not None:
            self.http.verify = str(ca)
        self.salesforce = SalesforceControl(self)
        self.hubspot = HubSpotControl(self)
        self.slack = SlackControl(self)

    def call(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None) -> Any:
        """``method`` on ``/__sandbox__/<path>``; the answer's JSON (None when it has no body)."""
        response = self.http.request(method, f"{self.url}{PREFIX}/{path}", params=params, json=body,
                                     timeout=self.timeout)
        if response.status_code >= 300:
            try:
                message = response.json().get("error", response.text)
            except ValueError:
                message = response.text
            raise SandboxError(method, path, response.status_code, message)
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()

    # -- the whole sandbox ------------------------------------------------------------------
    def describe(self) -> dict:
        """{url, seed, vendors: {name: that vendor's description (credentials, ids)}}."""
        return self.call("GET", "")

    def ready(self) -> bool:
        """Whether the control plane answers (a sandbox started in another process)."""
        try:
            return self.http.get(f"{self.url}{PREFIX}/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def reset(self, reseed: bool = True) -> dict:
        """Data, faults, clock, request log, deliveries and options back to the start."""
        return self.call("POST", "reset", body={"reseed": reseed})

    def seed(self, org: str = "demo") -> dict:
        return self.call("POST", "seed", body={"org": org})

    def clock(self) -> datetime:
        return _time(self.call("GET", "clock"))

    def set_clock(self, now: datetime | None) -> datetime:
        """Freeze the sandbox clock at ``now`` (None: real time again)."""
        return _time(self.call("POST", "clock", body={"now": now.isoformat() if now else None}))

    def advance_clock(self, seconds: float) -> datetime:
        return _time(self.call("POST", "clock", body={"advance": seconds}))

    # -- faults and what the vendors' APIs were asked -----------------------------------------
    def faults(self) -> list[dict]:
        return self.call("GET", "faults")["faults"]

    def add_fault(self, kind: str = "error", **rule: Any) -> dict:
        """A fault rule (``sandbox/faults.py``): kind latency / error / burst, and its matchers
        (vendor, method, path) and settings (status, rate, count, fixed_ms, retry_after...)."""
        return self.call("POST", "faults", body={"kind": kind, **rule})

    def remove_fault(self, rule_id: int) -> None:
        self.call("DELETE", f"faults/{rule_id}")

    def clear_faults(self) -> None:
        self.call("DELETE", "faults")

    def requests(self, vendor: str | None = None, since: int | None = None) -> list[dict]:
        """The request log, oldest first: every call to a vendor API (control calls are not logged)."""
        return self.call("GET", "requests", params=_given(vendor=vendor, since=since))["requests"]

    def stats(self) -> dict:
        return self.call("GET", "stats")

    # -- records, generated leads, deliveries to the app ----------------------------------------
    def create_lead(self, vendor: str = "salesforce", **fields: Any) -> dict:
        """A lead as a web form creates it (first_name, last_name, email, company, country...)."""
        return self.call("POST", "leads", body={"vendor": vendor, **fields})

    def record(self, vendor: str, record_type: str, record_id: str) -> dict:
        """One record as the vendor stores it (``salesforce``/``Lead``, ``hubspot``/``contacts``)."""
        return self.call("GET", f"records/{vendor}/{record_type}/{record_id}")

    def start_generator(self, vendor: str = "salesforce", *, count: int | None = None,
                        rate_per_minute: float | None = None, seed: int | None = None) -> dict:
        return self.call("POST", "generator", body={"vendor": vendor, "count": count,
                                                    "rate_per_minute": rate_per_minute, "seed": seed})

    def generator_running(self) -> Any:
        return self.call("GET", "generator")["running"]

    def stop_generator(self) -> Any:
        return self.call("DELETE", "generator")["stopped"]

    def deliveries(self, vendor: str | None = None) -> list[dict]:
        """Every webhook / outbound message sent to the app, with its attempts."""
        return self.call("GET", "deliveries", params=_given(vendor=vendor))["deliveries"]

    def configure_deliveries(self, **settings: Any) -> dict:
        """delay_factor, duplicate_rate, reorder_ms, seed; answers the settings now in force."""
        return self.call("POST", "deliveries", body=settings)["settings"]


class _Tenant:
    """A vendor's control routes (``/__sandbox__/<vendor>/...``) for one tenant (an org, a
    portal) named by ``?<key>=``, or the default one."""

    vendor = key = ""

    def __init__(self, client: SandboxClient, tenant: str | None = None) -> None:
        self.client, self.tenant = client, tenant

    def _call(self, method: str, route: str, body: dict | None = None, **params: Any) -> Any:
        if self.tenant:
            params[self.key] = self.tenant
        return self.client.call(method, f"{self.vendor}/{route}", params=_given(**params) or None, body=body)


class SalesforceControl(_Tenant):
    vendor, key = "salesforce", "org_id"

    def org(self, org_id: str) -> "SalesforceControl":
        """The same routes for another org than the default one."""
        return SalesforceControl(self.client, org_id)

    def orgs(self) -> list[dict]:
        return self._call("GET", "orgs")["orgs"]

    def add_org(self, **settings: Any) -> dict:
        """Another org (its own host, credentials, records): name, username, seed ("demo")...;
        answers it, credentials and ``instance_url`` included."""
        return self._call("POST", "orgs", settings)

    def outbound_url(self) -> str | None:
        return self._call("GET", "outbound-url")["url"]

    def set_outbound_url(self, url: str | None) -> None:
        """Where the org's outbound message (a new lead) is sent; None: nowhere."""
        self._call("POST", "outbound-url", {"url": url})

    def expire_sessions(self) -> int:
        return self._call("POST", "expire-sessions")["expired"]

    def reassign(self, record_id: str, owner_id: str, after_calls: int = 0) -> dict:
        """A person sets the owner of a lead or contact: now, or after ``after_calls`` more API calls."""
        return self._call("POST", "reassign", {"record_id": record_id, "owner_id": owner_id,
                                               "after_calls": after_calls})

    def limits(self) -> dict:
        return self._call("GET", "limits")

    def set_limits(self, *, daily_api_limit: int | None = None, used: int | None = None) -> dict:
        return self._call("POST", "limits", _given(daily_api_limit=daily_api_limit, used=used))

    def set_assignment_rule(self, owner_id: str | None) -> dict:
        """The owner the org's active lead assignment rule gives (None: no rule)."""
        return self._call("POST", "assignment-rule", {"owner_id": owner_id})

    def outbound(self) -> list[dict]:
        return self._call("GET", "outbound")["deliveries"]


class HubSpotControl(_Tenant):
    vendor, key = "hubspot", "portal_id"

    def portal(self, portal_id: str | int) -> "HubSpotControl":
        """The same routes for another portal than the default one."""
        return HubSpotControl(self.client, str(portal_id))

    def portals(self) -> list[dict]:
        return self._call("GET", "portals")["portals"]

    def add_portal(self, **settings: Any) -> dict:
        """Another portal (its own token, owners, records): name, region, seed ("demo")..."""
        return self._call("POST", "portals", settings)

    def webhooks(self) -> dict:
        return self._call("GET", "webhooks")

    def configure_webhooks(self, **settings: Any) -> dict:
        """The app's webhook subscription: url (None: off), batch_window_ms, duplicate_rate..."""
        return self._call("POST", "webhooks", settings)["settings"]

    def flush_webhooks(self) -> None:
        self._call("POST", "webhooks/flush")

    def reassign(self, *, contact_id: str | None = None, lead_id: str | None = None,
                 owner_id: str | None = None, owner: str | None = None) -> dict:
        """A person changes a contact's (or a lead's) owner in HubSpot's UI: ``owner_id``, or a
        demo rep's key (``owner="liam"``)."""
        return self._call("POST", "reassign", _given(contact_id=contact_id, lead_id=lead_id,
                                                     owner_id=owner_id, owner=owner))

    def activity(self, contact_id: str, at: str | None = None) -> dict:
        """The owner's first sales activity on a contact (now, or ``at``: ISO 8601)."""
        return self._call("POST", "activity", _given(contact_id=contact_id, at=at))

    def limits(self) -> dict:
        return self._call("GET", "limits")

    def set_limits(self, **limits: Any) -> dict:
        """ten_second_max, search_per_second, daily_max, enabled, reset_counters, and the search
        body limits (max_groups, max_filters_per_group, max_filters_total, max_limit, max_results)."""
        return self._call("POST", "limits", limits)

    def owners(self) -> list[dict]:
        return self._call("GET", "owners")


class SlackControl(_Tenant):
    vendor = "slack"

    def messages(self, channel: str | None = None) -> list[dict]:
        """Every message posted, oldest first; ``channel`` filters."""
        return self._call("GET", "messages", channel=channel)["messages"]

    def users(self) -> list[dict]:
        return self._call("GET", "users")

    def set_interactivity(self, url: str | None, verify: bool = True) -> dict:
        """Where clicks are POSTed: the app's Interactivity Request URL."""
        return self._call("POST", "interactivity", {"url": url, "verify": verify})

    def click(self, message_ts: str, action_id: str, user: str, **extra: Any) -> dict:
        """A person clicks a button of a posted message (``user``: a U id, rep key or email;
        ``value``, ``channel``); answers the app's response as Slack saw it."""
        return self._call("POST", "click", {"message_ts": message_ts, "action_id": action_id,
                                            "user": user, **extra})

    def webhook(self) -> dict:
        return self._call("GET", "webhook")


def _given(**values: Any) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def _time(answer: dict) -> datetime:
    return datetime.fromisoformat(answer["now"])


__all__ = ["SandboxClient", "SandboxError", "SalesforceControl", "HubSpotControl", "SlackControl"]
