"""One TLS sandbox for the room's tests (reset before each test) and adapters built on it the
way the connector builds them: ``build_adapter(kind, settings, secrets)``."""
from __future__ import annotations

from typing import Any

import pytest

from adapters import build_adapter
from sandbox.client import SandboxClient


class Sleeps(list):
    """Records the waits an adapter asks for instead of sleeping (retries stay instant), and
    moves a fake monotonic clock by as much (``clock``), so rate limiters see time pass."""

    def __init__(self, sandbox=None) -> None:
        super().__init__()
        self.now = 0.0
        self.sandbox = sandbox

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds
        if self.sandbox is not None:   # the sandbox's rate windows roll with the same time
            self.sandbox.clock.advance(seconds)

    def clock(self) -> float:
        return self.now


@pytest.fixture
def running(crm):
    return crm


@pytest.fixture
def sandbox(running):
    running.sandbox.reset()
    return running.sandbox


class Control(SandboxClient):
    """The sandbox's control plane (``SandboxClient``: ``requests(vendor)``, ``hubspot.reassign``...)
    and its routes by path, for the tests that name them: ``post("salesforce/reassign", ...)``."""

    def post(self, path: str, **body: Any) -> Any:
        return self.call("POST", path, body=body)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params)


@pytest.fixture
def control(running, sandbox):
    client = Control(running.url, ca=running.ca_path)
    yield client
    client.close()


@pytest.fixture
def sleeps(sandbox) -> Sleeps:
    return Sleeps(sandbox)


@pytest.fixture
def hubspot_settings(running) -> dict:
    return {"base_url": running.url, "ca_bundle": str(running.ca_path), "object_type": "contacts",
            "max_wait": 1.0, "base_wait": 0.01, "search_per_second": 5, "ten_second_max": 190}


@pytest.fixture
def hubspot_secrets(sandbox) -> dict:
    return {"token": sandbox.options["hubspot_token"], "app_secret": sandbox.options["hubspot_app_secret"]}


@pytest.fixture
def make_hubspot(hubspot_settings, hubspot_secrets, sleeps):
    def make(**overrides: Any):
        return build_adapter("hubspot", {**hubspot_settings, **overrides}, hubspot_secrets,
                             sleep=sleeps, monotonic=sleeps.clock)
    return make


@pytest.fixture
def salesforce_settings(running, sandbox) -> dict:
    info = sandbox.vendor("salesforce").describe()
    return {"url": running.url, "auth": "password", "client_id": info["client_id"],
            "username": info["username"], "ca_bundle": str(running.ca_path),
            "api_version": "59.0", "org_id": info["org_id"],
            "intake_queues": [info["intake_queue_id"]], "duplicate_objects": ["Lead"],
            "max_wait": 1.0, "base_wait": 0.01, "rate_limit_wait": 0.5}


@pytest.fixture
def salesforce_secrets(sandbox) -> dict:
    info = sandbox.vendor("salesforce").describe()
    return {"client_secret": info["client_secret"], "password": info["password"],
            "security_token": info["security_token"]}


@pytest.fixture
def make_salesforce(salesforce_settings, salesforce_secrets, sleeps):
    def make(secrets: dict | None = None, **overrides: Any):
        return build_adapter("salesforce", {**salesforce_settings, **overrides},
                             {**salesforce_secrets, **(secrets or {})}, sleep=sleeps)
    return make


@pytest.fixture
def hubspot_owner(sandbox):
    """Owner id of a demo rep by key ("maya")."""
    return lambda key: sandbox.vendor("hubspot").owners.by_key(key).id


@pytest.fixture
def salesforce_user(sandbox):
    """User id (005...) of a demo rep by key ("maya")."""
    def find(key: str) -> str:
        email = sandbox.demo_org.rep(key).email
        return next(u["Id"] for u in sandbox.vendor("salesforce").store.rows("User")
                    if u["Email"] == email)
    return find
