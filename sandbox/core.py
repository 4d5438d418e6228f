"""The sandbox's core: clock, vendors, faults, request log, webhook deliveries, and the WSGI app.

Vendors (Salesforce, HubSpot, Slack) are plugged in as `Vendor` subclasses (sandbox/vendor.py: the
one contract they keep); everything they share lives here so that faults, logging and at-least-once deliveries behave the same for all.
Nothing here imports the product (ARCHITECTURE.md: the sandbox checks the adapters, so it may
not share their code).
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

import flask

from sandbox.control import CONTROL_PREFIX
from sandbox.deliveries import Deliveries
from sandbox.faults import Faults, RequestLog
from sandbox.generator import GeneratorRunner
from sandbox.vendor import Vendor

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.demo import DemoOrg

__all__ = ["Clock", "Vendor", "Sandbox", "Faults", "RequestLog", "Deliveries", "DEFAULT_OPTIONS",
           "CONTROL_PREFIX"]


# Documented default credentials (docs: `leadrouter sandbox --help`). Vendors read
# `sandbox.options[...]`; the CLI and `server.start(**vendor_options)` override them.
DEFAULT_OPTIONS: dict[str, Any] = {
    "salesforce_client_id": "sandbox",
    "salesforce_client_secret": "sandbox",
    "salesforce_username": "admin@sandbox.example",
    "salesforce_password": "sandbox",
    "salesforce_security_token": "sandbox-token",
    "salesforce_outbound_url": None,
    "salesforce_outbound_fields": ("Id", "FirstName", "LastName", "Company", "Email", "Country",
                                   "State", "Industry", "LeadSource", "OwnerId", "CreatedDate"),
    "salesforce_jwt_public_key": None,   # PEM (certificate or public key) to check JWT bearer grants
    "salesforce_daily_api_limit": 15000,
    "hubspot_token": "sandbox-hubspot-token",
    "hubspot_app_secret": "sandbox-app-secret",
    "hubspot_webhook_url": None,
    "hubspot_ten_second_limit": 190,     # private app, Professional/Enterprise
    "hubspot_search_per_second": 5,
    "hubspot_daily_limit": 1_000_000,
    "slack_bot_token": "xoxb-sandbox",
    "slack_signing_secret": "sandbox-signing-secret",
    "slack_interactivity_url": None,     # where Accept / Pass clicks are POSTed
}


class Clock:
    """Sandbox time. Frozen (`set(dt)`) or real time plus an offset; `advance` works in both,
    so a test can live through a whole day of an org in milliseconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = 0.0

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(timezone.utc) + timedelta(seconds=self._offset)

    def set(self, dt: datetime | None) -> None:
        with self._lock:
            if dt is not None and dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
            self._frozen = dt.astimezone(timezone.utc) if dt is not None else None
            self._offset = 0.0

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += seconds

    @property
    def frozen(self) -> bool:
        return self._frozen is not None


class Sandbox:
    """Holds the vendors and the shared machinery; `wsgi_app()` builds the Flask app."""

    def __init__(self, *, seed: str | None = None, **options: Any) -> None:
        unknown = set(options) - set(DEFAULT_OPTIONS)
        if unknown:
            raise TypeError(f"unknown sandbox options: {sorted(unknown)}")
        self.lock = threading.RLock()
        self.clock = Clock()
        self.faults = Faults()
        self.requests = RequestLog(self.clock)
        self.deliveries = Deliveries(self.clock)
        self.generator = GeneratorRunner(self)
        self.options: dict[str, Any] = {**DEFAULT_OPTIONS, **options}
        self._start_options = dict(self.options)  # reset() goes back to these
        self.seed_name = seed
        self.base_url = ""
        # Opens another listener serving this sandbox and returns its base URL (server.start sets
        # it); without one, further addresses are virtual hosts (Flask's test client).
        self.open_address: Callable[[str], str] | None = None
        self._addresses: dict[str, str] = {}
        self.demo_org: "DemoOrg | None" = None
        self._vendors: dict[str, Vendor] = {}
        self._app: flask.Flask | None = None

    # -- vendors ---------------------------------------------------------------------------
    def register(self, vendor_cls: type[Vendor]) -> Vendor:
        vendor = vendor_cls(self)
        if not vendor.name or vendor.name in self._vendors:
            raise ValueError(f"vendor name missing or taken: {vendor.name!r}")
        self._vendors[vendor.name] = vendor
        return vendor

    def vendor(self, name: str) -> Vendor:
        try:
            return self._vendors[name]
        except KeyError:
            raise KeyError(f"no vendor {name!r}; registered: {sorted(self._vendors)}") from None

    @property
    def vendors(self) -> dict[str, Vendor]:
        return dict(self._vendors)

    def vendor_for_path(self, path: str) -> Vendor | None:
        best, best_len = None, -1
        for vendor in self._vendors.values():
            for prefix in vendor.prefixes:
                if path.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = vendor, len(prefix)
        return best

    def address(self, name: str) -> str:
        """The base URL of the sandbox's address ``name`` (a Salesforce org's own instance host),
        the same for that name from first use to the end: a listener of its own when served."""
        with self.lock:
            if name not in self._addresses:
                if self.open_address is not None:
                    self._addresses[name] = self.open_address(name)
                else:
                    scheme, _, host = (self.base_url or "http://localhost").partition("://")
                    self._addresses[name] = f"{scheme}://{name}.{host}"
            return self._addresses[name]

    # -- state -----------------------------------------------------------------------------
    def seed(self, org_name: str = "demo") -> None:
        from sandbox.demo import ORGS  # local: demo data is plain data, loaded on demand

        try:
            org = ORGS[org_name]
        except KeyError:
            raise ValueError(f"unknown org {org_name!r}; known: {sorted(ORGS)}") from None
        with self.lock:
            self.demo_org = org
            for vendor in self._vendors.values():
                vendor.seed_demo(org)

    def reset(self, *, reseed: bool = True) -> None:
        """Back to the start state: empty stores, no faults, empty log, real time, no pending
        deliveries; then the start seed again unless `reseed=False`."""
        self.generator.stop()
        self.deliveries.clear()
        self.faults.clear()
        self.requests.clear()
        self.clock.set(None)
        with self.lock:
            self.options.clear()  # in place: vendors may hold this dict
            self.options.update(self._start_options)
            self.demo_org = None
            for vendor in self._vendors.values():
                vendor.reset()
        if reseed and self.seed_name:
            self.seed(self.seed_name)

    def describe(self) -> dict:
        return {"url": self.base_url, "seed": self.seed_name,
                "vendors": {name: v.describe() for name, v in self._vendors.items()}}

    def close(self) -> None:
        self.generator.stop()
        self.deliveries.stop()

    # -- WSGI ------------------------------------------------------------------------------
    def wsgi_app(self) -> flask.Flask:
        if self._app is None:
            self._app = self._build_app()
        return self._app

    def _build_app(self) -> flask.Flask:
        from sandbox.control import control_blueprint

        app = flask.Flask("sandbox")
        app.json.sort_keys = False  # vendors' JSON keeps its documented key order
        app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
        app.extensions["sandbox"] = self
        app.register_blueprint(control_blueprint(self), url_prefix=CONTROL_PREFIX)
        for vendor in self._vendors.values():
            app.register_blueprint(vendor.blueprint())
            control = vendor.control_blueprint()
            if control is not None:
                app.register_blueprint(control, url_prefix=f"{CONTROL_PREFIX}/{vendor.name}")
        app.before_request(self._before_request)
        app.after_request(self._after_request)
        for status in (404, 405):
            app.register_error_handler(status, self._http_error)
        return app

    def _before_request(self) -> flask.Response | None:
        req = flask.request
        if not self.base_url:  # served without server.start (e.g. Flask's test client)
            self.base_url = req.host_url.rstrip("/")
        if req.path.startswith(CONTROL_PREFIX):
            return None
        vendor = self.vendor_for_path(req.path)
        vendor_name = vendor.name if vendor else None
        flask.g.sandbox_entry = self.requests.record(
            method=req.method, path=req.path, query=req.query_string.decode("latin-1"),
            headers=dict(req.headers), body=req.get_data(cache=True), vendor=vendor_name)
        decision = self.faults.decide(vendor_name, req.method, req.path)
        if decision.latency_s > 0:
            time.sleep(decision.latency_s)  # real time: latency is what clients time out on
        if decision.status is not None:
            flask.g.sandbox_entry["fault"] = decision.kind
            if vendor is None:
                return flask.Response(f"injected {decision.status}", status=decision.status)
            return vendor.fault_response(decision.status, retry_after=decision.retry_after)
        return None

    def _after_request(self, response: flask.Response) -> flask.Response:
        entry = flask.g.get("sandbox_entry")
        if entry is not None:
            self.requests.finish(entry, response.status_code)
        return response

    def _http_error(self, error: Any) -> Any:
        vendor = self.vendor_for_path(flask.request.path)
        custom = vendor.http_error(error.code) if vendor else None
        return custom if custom is not None else error
