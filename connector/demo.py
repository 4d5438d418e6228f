"""The first-run demo: with no CRM configured, `run` starts the CRM sandbox beside the app, so an
admin evaluating leadrouter sees a working Salesforce/HubSpot/Slack stand-in at once; and the
`sandbox` command.

The one product module that imports ``sandbox`` (the demo entry point; see docs/ARCHITECTURE.md
and the import contracts in ``.importlinter``)."""

from __future__ import annotations

import logging

import yaml
from flask import Flask

from adapters.specs import HubSpotConnection, SalesforceConnection
from connector.connections.registry import Connections, set_connections
from connector.pipeline import jobs
from connector.platform.db import get_db
from connector.platform.settings import DemoMode
from connector.routing import store as routing_store
from connector.routing.starter import starter_config
from connector.web.home import show_demo
from sandbox.cli import sandbox
from sandbox.server import start

log = logging.getLogger(__name__)
DEMO_PORT = 8700


def wanted(settings) -> bool:
    return settings.demo is DemoMode.ON or (settings.demo is DemoMode.AUTO and not settings.crm_configured)


def attach_demo(app: Flask, running, app_url: str, leads_per_minute: float = 2.0) -> None:
    """Route the demo CRM's leads: connections to its HubSpot and Salesforce, a starter config
    from their rosters (unless one is stored), webhooks aimed at our doors, and a trickle of
    realistic leads so the log fills while the admin looks around."""
    settings = app.config["LEADROUTER_SETTINGS"]
    salesforce = running.sandbox.vendor("salesforce")
    ca = str(running.ca_path)
    specs = [
        HubSpotConnection(name="hubspot", token="sandbox-hubspot-token", app_secret="sandbox-app-secret",
                          base_url=running.url, ca_bundle=ca, poll_interval_seconds=settings.poll_interval_seconds,
                          backfill="all"),  # the demo org's seeded leads are routed too
        SalesforceConnection(name="salesforce", url=running.url, auth="password", client_id="sandbox",
                             client_secret="sandbox", username="admin@sandbox.example", password="sandbox",
                             ca_bundle=ca, org_id=salesforce.store.org_id, intake_queues=["Inbound Leads"],
                             poll_interval_seconds=settings.poll_interval_seconds, backfill="all"),
    ]
    connections = Connections(specs)
    set_connections(app, connections)
    db = get_db(app)
    if routing_store.get_version(db) is None:
        rosters = {name: connections.adapter(name).read_roster() for name in connections.names()}
        config = starter_config(rosters, exclude_emails=["admin@sandbox.example"])
        routing_store.save_version(db, yaml.safe_dump(config, sort_keys=False), actor="demo",
                                   comment="starter config from the demo CRM's rosters")
    running.sandbox.vendor("hubspot").webhooks.configure(url=f"{app_url}/webhooks/hubspot/hubspot")
    running.sandbox.options["salesforce_outbound_url"] = f"{app_url}/webhooks/salesforce/salesforce"
    for vendor in ("hubspot", "salesforce"):
        running.sandbox.generator.run(vendor, rate_per_minute=leads_per_minute)
    log.info("demo: routing the sandbox's HubSpot and Salesforce leads (%.0f new leads a minute each)",
             leads_per_minute)
    jobs.runtime(app)  # the pipeline is already wired; the worker thread picks the leads up


def start_demo_crm(app: Flask, port: int = DEMO_PORT):
    """Start the sandbox (TLS, demo org) in this process; returns the running sandbox or None."""
    settings = app.config["LEADROUTER_SETTINGS"]
    if not wanted(settings):
        return None
    cert_dir = settings.var_dir / "sandbox"
    cert_dir.mkdir(parents=True, exist_ok=True)
    try:
        running = start(port, tls=True, seed="demo", cert_dir=cert_dir)
    except OSError:  # the port is taken (another demo running): any free port will do
        running = start(0, tls=True, seed="demo", cert_dir=cert_dir)
    show_demo(app, running.url)
    log.info("demo CRM sandbox running at %s (CA certificate %s); set LEADROUTER_DEMO=off to disable",
             running.url, running.ca_path)
    return running


def init_app(app: Flask) -> None:
    app.cli.add_command(sandbox)
