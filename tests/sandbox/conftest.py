"""Shared sandbox fixtures: one HTTPS sandbox (demo org) per test session, reset per test."""
from __future__ import annotations

import re
from typing import Any

import pytest
import requests


SALESFORCE_HOST = re.compile(r"^https://[A-Za-z0-9.-]+\.salesforce\.com")


class SandboxSession(requests.Session):
    """Trusts the sandbox CA only (this machine sets REQUESTS_CA_BUNDLE: trust_env=False keeps it
    out) and sends https://<domain>.salesforce.com — where simple-salesforce's login helpers
    always go — to the sandbox, like a hosts-file entry would."""

    def __init__(self, base_url: str, ca_path: str) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = ca_path
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        return super().request(method, SALESFORCE_HOST.sub(self.base_url, url), *args, **kwargs)


@pytest.fixture
def sandbox_server(crm):
    return crm


@pytest.fixture
def fresh_sandbox(sandbox_server):
    """The sandbox back in its seeded start state (data, faults, clock, log, deliveries)."""
    sandbox_server.sandbox.reset()
    return sandbox_server.sandbox


@pytest.fixture
def running(crm):
    return crm


@pytest.fixture
def sandbox(fresh_sandbox):
    return fresh_sandbox


@pytest.fixture
def http(sandbox_server, fresh_sandbox) -> SandboxSession:
    return SandboxSession(sandbox_server.url, str(sandbox_server.ca_path))


@pytest.fixture
def sf_token(sandbox_server, http) -> str:
    response = http.post(f"{sandbox_server.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "sandbox", "client_secret": "sandbox",
        "username": "admin@sandbox.example", "password": "sandbox"})
    response.raise_for_status()
    return response.json()["access_token"]


@pytest.fixture
def sf(sandbox_server, http, sf_token):
    """The real simple-salesforce client, over TLS, with an OAuth access token."""
    from simple_salesforce import Salesforce

    return Salesforce(instance_url=sandbox_server.url, session_id=sf_token, session=http)
