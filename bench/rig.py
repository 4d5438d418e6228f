"""What the benchmarks drive, always from outside: the CRM sandbox (``python app.py sandbox``)
through its vendor APIs and its control plane (``/__sandbox__/``), and leadrouter processes
(``python app.py run | web | worker``) configured only by environment variables, as README tells
an admin. Nothing here imports the product."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.support import waiting
from tests.support.waiting import free_port

REPO = Path(__file__).resolve().parents[1]
REP_COUNT = 4   # the demo team's first four reps, present in both CRMs of every tenant
AUDIT_AGENT = "leadrouter-bench-audit"   # the benchmark's own CRM reads: nobody's calls


class BenchError(Exception):
    """A benchmark could not run: one line saying why (the command exits non-zero)."""


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """The test suite's wait (standard library only), failing as a benchmark fails: one line."""
    try:
        return waiting.wait_until(predicate, timeout, what, every)
    except AssertionError as exc:
        raise BenchError(str(exc)) from None


def session(ca_path: Path | None = None, agent: str = AUDIT_AGENT) -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    http.headers["User-Agent"] = agent
    if ca_path:
        http.verify = str(ca_path)
    return http


class Process:
    """``python app.py ARGS`` in its own session, output in ``folder/NAME.log``; ``python`` is the
    interpreter's command line (a profiler's, e.g. ``python -m pyinstrument ...``)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path,
                 python: tuple[str, ...] = (sys.executable,)) -> None:
        self.name, self.log_path = name, folder / f"{name}.log"
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen([*python, "app.py", *args], cwd=REPO, env=env, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def check_alive(self) -> None:
        if not self.alive():
            raise BenchError(f"`python app.py` {self.name} exited with {self.popen.returncode}: "
                             f"{self.log().strip().splitlines()[-1:] or ['(no output)']}")

    def stop(self, timeout: float = 30) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        if self.alive():
            self.popen.kill()
            self.popen.wait(10)


def cli(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run([sys.executable, "app.py", *args], check=False, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise BenchError(f"`python app.py {' '.join(args)}` exited {done.returncode}: {last[0]}")
    return done.stdout


def base_env(folder: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1"}


# -- the CRM sandbox ------------------------------------------------------------------------------
@dataclass
class Tenant:
    """One HubSpot portal and one Salesforce org of the sandbox, with the demo team in both."""

    name: str
    portal_id: int
    token: str
    app_secret: str
    owners: dict[str, str]     # email -> HubSpot owner id
    org_id: str
    sf_login: dict[str, str]   # client_id, client_secret, username, password
    users: dict[str, str]      # email -> Salesforce user id

    def reps(self) -> list[dict]:
        emails = [e for e in self.owners if e in self.users][:REP_COUNT]
        return [{"id": e.split("@")[0], "email": e, "hubspot": self.owners[e], "salesforce": self.users[e]}
                for e in emails]


class Sandbox:
    """``python app.py sandbox --tls`` in a process of its own (its CPU is not the product's)."""

    def __init__(self, folder: Path) -> None:
        port = free_port()
        certs = folder / "sandbox-certs"
        self.process = Process("sandbox", ["sandbox", "--seed", "demo", "--tls", "--port", str(port),
                                           "--cert-dir", str(certs), "--no-log-requests"], base_env(folder), folder)
        self.url, self.ca_path = f"https://127.0.0.1:{port}", certs / "ca.pem"
        wait_until(lambda: self.process.check_alive() or self.ca_path.exists(), 60, "the sandbox's CA")
        self.http = session(self.ca_path)
        wait_until(self._answers, 60, "the sandbox")

    def _answers(self) -> bool:
        self.process.check_alive()
        try:
            return self.http.get(f"{self.url}/__sandbox__/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def control(self, path: str, method: str = "GET", **body: Any) -> Any:
        response = self.http.request(method, f"{self.url}/__sandbox__/{path}", json=body or None, timeout=30)
        if response.status_code >= 300:
            raise BenchError(f"sandbox {method} /__sandbox__/{path}: {response.status_code} {response.text[:200]}")
        return response.json() if response.content else None

    def default_tenant(self, name: str = "default") -> Tenant:
        vendors = self.control("")["vendors"]
        hubspot, sf = vendors["hubspot"], vendors["salesforce"]
        owners = {o["email"]: o["id"] for o in self.control("hubspot/owners") if not o.get("archived")}
        return Tenant(name, int(hubspot["portal_id"]), hubspot["token"], hubspot["app_secret"], owners,
                      sf["org_id"], _login(sf), _users(sf))

    def add_tenant(self, name: str) -> Tenant:
        portal = self.control("hubspot/portals", "POST", name=name, seed="demo")
        org = self.control("salesforce/orgs", "POST", name=name, seed="demo", username=f"admin@{name}.bench",
                           password="sandbox", daily_api_limit=10_000_000)
        owners = {o["email"]: o["id"] for o in portal["owners"] if not o.get("archived")}
        return Tenant(name, int(portal["portal_id"]), portal["token"], portal["app_secret"], owners,
                      org["org_id"], _login(org), _users(org))

    def aim_webhooks(self, tenant: Tenant, hubspot_url: str | None, salesforce_url: str | None) -> None:
        """What an admin does in each CRM: the app's webhook subscription, the outbound message."""
        self.control(f"hubspot/webhooks?portal_id={tenant.portal_id}", "POST", url=hubspot_url, batch_window_ms=50)
        self.control(f"salesforce/outbound-url?org_id={tenant.org_id}", "POST", url=salesforce_url)

    def lift_limits(self, tenant: Tenant) -> None:
        """No API allowance in the way: what a benchmark counts is calls, not 429s and their retries."""
        self.control(f"hubspot/limits?portal_id={tenant.portal_id}", "POST", enabled=False)
        self.control(f"salesforce/limits?org_id={tenant.org_id}", "POST", daily_api_limit=10_000_000)

    def add_latency(self, ms: float) -> None:
        for vendor in ("hubspot", "salesforce"):
            self.control("faults", "POST", kind="latency", vendor=vendor, fixed_ms=ms)

    def create_lead(self, tenant: Tenant, vendor: str, tag: str) -> str:
        """A lead as a web form creates it (not an API call of anyone's): HubSpot fires
        contact.creation, Salesforce applies its assignment rule (the intake queue) and sends
        its outbound message."""
        where = {"portal_id": tenant.portal_id} if vendor == "hubspot" else {"org_id": tenant.org_id}
        record = self.control("leads", "POST", vendor=vendor, first_name=tag.title(), last_name="Bench",
                              email=f"{tag}@{tag}.example", company=f"{tag.title()} Inc", country="US", **where)
        return str(record.get("id") or record.get("Id"))

    def requests_since(self, seq: int) -> list[dict]:
        return self.control(f"requests?since={seq}")["requests"]

    def stop(self) -> None:
        self.process.stop(10)


def _login(org: dict) -> dict[str, str]:
    return {k: org[k] for k in ("client_id", "client_secret", "username", "password")}


def _users(org: dict) -> dict[str, str]:
    admin = org["username"]
    return {u["Email"]: u["Id"] for u in org["users"] if u["IsActive"] and u["Username"] != admin}


# -- a leadrouter installation -------------------------------------------------------------------
def routing_config(tenant: Tenant, folder: Path) -> Path:
    """The demo team in one rotation (every lead round robin), no notifications."""
    reps = tenant.reps()
    config = {"version": 1, "timezone": "UTC",
              "reps": [{"id": r["id"], "name": r["id"].replace(".", " ").title(), "email": r["email"],
                        "crm": {"hubspot": r["hubspot"], "salesforce": r["salesforce"]}} for r in reps],
              "teams": [{"id": "inbound", "members": [r["id"] for r in reps]}],
              "rules": [{"name": "inbound", "to": "team:inbound", "pick": "round_robin", "notify": []}]}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"routing-{tenant.name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def node_env(folder: Path, database_url: str, port: int, **extra: str) -> dict[str, str]:
    """What every leadrouter process of one installation shares: its folder, database and keys."""
    from cryptography.fernet import Fernet

    folder.mkdir(parents=True, exist_ok=True)
    return {**base_env(folder), "LEADROUTER_VAR_DIR": str(folder / "var"), "LEADROUTER_DATABASE_URL": database_url,
            "LEADROUTER_SECRET_KEY": "bench-" + os.urandom(8).hex(),
            "LEADROUTER_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "LEADROUTER_BASE_URL": f"http://127.0.0.1:{port}", "LEADROUTER_LOG_LEVEL": "WARNING",
            "LEADROUTER_DEMO": "off", **extra}


def product_env(sandbox: Sandbox, tenant: Tenant, folder: Path, database_url: str, port: int,
                **extra: str) -> dict[str, str]:
    """README's Configuration, pointed at one tenant of the sandbox."""
    login = tenant.sf_login
    return node_env(
        folder, database_url, port, LEADROUTER_ROUTING_CONFIG=str(routing_config(tenant, folder)),
        LEADROUTER_HUBSPOT_TOKEN=tenant.token, LEADROUTER_HUBSPOT_APP_SECRET=tenant.app_secret,
        LEADROUTER_HUBSPOT_BASE_URL=sandbox.url, LEADROUTER_HUBSPOT_CA_BUNDLE=str(sandbox.ca_path),
        LEADROUTER_HUBSPOT_PORTAL_ID=str(tenant.portal_id),
        LEADROUTER_SALESFORCE_URL=sandbox.url, LEADROUTER_SALESFORCE_CLIENT_ID=login["client_id"],
        LEADROUTER_SALESFORCE_CLIENT_SECRET=login["client_secret"],
        LEADROUTER_SALESFORCE_USERNAME=login["username"], LEADROUTER_SALESFORCE_PASSWORD=login["password"],
        LEADROUTER_SALESFORCE_CA_BUNDLE=str(sandbox.ca_path), LEADROUTER_SALESFORCE_ORG_ID=tenant.org_id,
        LEADROUTER_SALESFORCE_INTAKE_QUEUE="Inbound Leads", **extra)


def start_node(name: str, args: list[str], env: dict[str, str], folder: Path, port: int | None = None,
               python: tuple[str, ...] = (sys.executable,)) -> Process:
    """A long-lived ``python app.py`` process; with ``port``, once ``/readyz`` answers 200."""
    process = Process(name, args, env, folder, python)
    if port is not None:
        http = session()

        def ready() -> bool:
            process.check_alive()
            try:
                return http.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, 90, f"`python app.py {' '.join(args)}` to be ready")
    return process
