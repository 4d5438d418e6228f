"""Fixtures of the acceptance suite: the CRM sandbox seen from outside, a real SMTP server
(aiosmtpd, STARTTLS + AUTH) and an installation of leadrouter configured only the way README tells
an admin: environment variables, a routing config file, and the CLI."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from tests.acceptance.harness import Crm, FakeClock, Product, faketime_library
from tests.support.apps import TEST_KEYS
from tests.support.crm import point_crm_at, unpoint_crm
from tests.support.smtp import Mailbox, start_smtp, tls_context

SMTP_USER, SMTP_PASSWORD = "leadrouter", "mail-pass"
MANAGER = "lead-manager@demo.leadrouter.dev"
CHANNEL = "#leads"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@leadrouter.example", "correct horse battery staple"


@pytest.fixture(scope="session")
def smtp(tmp_path_factory):
    """An SMTP server on loopback that requires STARTTLS and AUTH, like a mail provider on 587."""
    context, ca_path = tls_context(tmp_path_factory.mktemp("smtp"))
    box = Mailbox()
    controller = start_smtp(box, context, SMTP_USER, SMTP_PASSWORD)
    box.url = f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{controller.port}"
    box.ca_path = ca_path
    yield box
    controller.stop()


def environment(crm, smtp: Mailbox, folder: Path, port: int, database_url: str, **extra: str) -> dict[str, str]:
    """The full environment of README's Configuration table, pointed at the sandbox."""
    salesforce = crm.sandbox.vendor("salesforce")
    env = {
        "LEADROUTER_VAR_DIR": str(folder / "var"), "LEADROUTER_DATABASE_URL": database_url, **TEST_KEYS,
        "LEADROUTER_BASE_URL": f"http://127.0.0.1:{port}", "LEADROUTER_LOG_LEVEL": "INFO", "LEADROUTER_DEMO": "off",
        "LEADROUTER_HUBSPOT_TOKEN": "sandbox-hubspot-token", "LEADROUTER_HUBSPOT_APP_SECRET": "sandbox-app-secret",
        "LEADROUTER_HUBSPOT_BASE_URL": crm.url, "LEADROUTER_HUBSPOT_CA_BUNDLE": str(crm.ca_path),
        "LEADROUTER_SALESFORCE_URL": crm.url, "LEADROUTER_SALESFORCE_CLIENT_ID": "sandbox",
        "LEADROUTER_SALESFORCE_CLIENT_SECRET": "sandbox", "LEADROUTER_SALESFORCE_USERNAME": "admin@sandbox.example",
        "LEADROUTER_SALESFORCE_PASSWORD": "sandbox", "LEADROUTER_SALESFORCE_CA_BUNDLE": str(crm.ca_path),
        "LEADROUTER_SALESFORCE_ORG_ID": salesforce.store.org_id,
        "LEADROUTER_SALESFORCE_INTAKE_QUEUE": "Inbound Leads",
        "LEADROUTER_SLACK_BOT_TOKEN": "xoxb-sandbox", "LEADROUTER_SLACK_SIGNING_SECRET": Crm.SLACK_SECRET,
        "LEADROUTER_SLACK_BASE_URL": crm.url + "/api/", "LEADROUTER_SLACK_CA_BUNDLE": str(crm.ca_path),
        "LEADROUTER_SMTP_URL": smtp.url, "LEADROUTER_SMTP_CA_BUNDLE": smtp.ca_path,
        "LEADROUTER_EMAIL_FROM": "leadrouter@demo.leadrouter.dev",
        "LEADROUTER_SLA_CHECK_SECONDS": "2",
    }
    env.update(extra)
    return env


# The demo org's sales team, as `python app.py rules init` reads it from both CRMs (same ids every seed).
REPS = [("maya.patel", "Maya Patel", "61000001", "0055g0000000002AAA"),
        ("liam.oconnor", "Liam O'Connor", "61000002", "0055g0000000003AAA"),
        ("sofia.garcia", "Sofia Garcia", "61000003", "0055g0000000004AAA"),
        ("noah.kim", "Noah Kim", "61000004", "0055g0000000005AAA")]


def routing_config(reps=REPS, **top: Any) -> dict:
    """Four reps in one team with a manager and a channel; every lead round robin, with the
    notifications of the issue: a DM to the rep (Accept / Pass), a channel post, an email."""
    config = {
        "version": 1, "timezone": "UTC",
        "reps": [{"id": rid, "name": name, "email": f"{rid}@demo.leadrouter.dev", "crm": {"hubspot": hs, "salesforce": sf}}
                 for rid, name, hs, sf in reps],
        "teams": [{"id": "inbound", "members": [r[0] for r in reps], "manager": MANAGER, "channel": CHANNEL}],
        "rules": [{"name": "inbound", "to": "team:inbound", "pick": "round_robin",
                   "notify": ["slack:rep", "slack:team", "email:rep"]}],
    }
    config.update(top)
    return config


def write_config(folder: Path, config: dict, name: str = "routing.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def outside(crm, crm_control):
    """The CRM sandbox, reset, seen from outside (vendor APIs over HTTPS and its control plane)."""
    crm_control.reset()
    crm_control.configure_deliveries(delay_factor=0.01)
    return Crm(crm)


def new_product(folder: Path, env: dict[str, str]) -> Product:
    folder.mkdir(parents=True, exist_ok=True)
    return Product(folder, env)


@contextmanager
def started_run(crm_control, crm, folder: Path, env: dict[str, str], config: dict,
                port: int) -> Iterator[tuple[Product, Any]]:
    """The installation README describes, started: the database migrated, the routing config
    imported, an admin, then ``python app.py run`` with the sandbox's webhooks pointed at it.
    Yields (product, process); prints the logs when the block fails; always stops every process."""
    product = new_product(folder, env)
    product.cli("db", "upgrade")
    product.cli("rules", "import", str(write_config(folder, config)))
    product.cli("users", "create", ADMIN_EMAIL, "--role", "admin", "--password", ADMIN_PASSWORD)
    process = product.start("run", "run", "--port", str(port), port=port)
    try:
        process.wait_ready()
        point_crm_at(crm_control, process.url)
        yield product, process
    except BaseException:
        print(product.dump())
        raise
    finally:
        unpoint_crm(crm_control, crm)
        product.kill_all()


needs_faketime = pytest.mark.skipif(
    faketime_library() is None,
    reason="moving the product's clock needs libfaketime: `.venv/bin/pip install -r requirements-dev.txt` "
           "(the PyPI package libfaketime ships a build that works with Python 3.11)")


@pytest.fixture(autouse=True)
def _dump_logs_on_failure(request):
    """Print every started process's log when a test fails (pytest shows it with the failure)."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for name in request.fixturenames:
            value = request.node.funcargs.get(name)
            product = getattr(value, "product", value)
            if isinstance(product, Product):
                print(product.dump())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


__all__ = ["ADMIN_EMAIL", "ADMIN_PASSWORD", "CHANNEL", "FakeClock", "MANAGER", "REPS", "environment", "new_product",
           "needs_faketime", "point_crm_at", "routing_config", "unpoint_crm", "write_config"]
