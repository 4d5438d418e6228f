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
from connector.connections import service as connections_service
from connector.connections.registry import Connections, set_connections
from connector.demo_org import DemoCrm, Trickle, connect_slack, customer_leads, demo_config, opening_leads
from connector.pipeline import jobs
from connector.platform.db import get_db
from connector.platform.settings import DemoMode
from connector.routing import store as routing_store
from connector.web.home import show_demo
from sandbox.cli import sandbox
from sandbox.client import SandboxClient
from sandbox.server import start

log = logging.getLogger(__name__)
DEMO_PORT = 8700


def wanted(app: Flask) -> bool:
    """``on``; or ``auto`` and no real CRM: none in the environment or a connections file, and none
    stored from the connections page."""
    settings = app.config["LEADROUTER_SETTINGS"]
    if settings.demo is not DemoMode.AUTO:
        return settings.demo is DemoMode.ON
    return not settings.crm_configured and not connections_service.list_connections(get_db(app))


def attach_demo(app: Flask, running: DemoCrm, app_url: str, leads_per_minute: float = 2.0) -> None:
    """Route the demo CRM's leads: connections to its HubSpot and Salesforce, the demo org's
    routing config (``connector.demo_org``, unless one is stored), webhooks aimed at our doors, its
    Slack as the app's (DMs with working buttons), the opening leads that show every rule, and a
    trickle of realistic leads so the log fills while the admin looks around."""
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
    org = running.sandbox.demo_org
    if routing_store.get_version(db) is None:
        rosters = {name: connections.adapter(name).read_roster() for name in connections.names()}
        routing_store.save_version(db, yaml.safe_dump(demo_config(org, rosters), sort_keys=False), actor="demo",
                                   comment="the demo org: two teams, every kind of rule")
    control = SandboxClient(running.url, ca=ca)   # the sandbox's control plane
    control.hubspot.configure_webhooks(url=f"{app_url}/webhooks/hubspot/hubspot")
    control.salesforce.set_outbound_url(f"{app_url}/webhooks/salesforce/salesforce")
    connect_slack(app, running.sandbox.vendor("slack"), f"{running.url}/api/", ca, f"{app_url}/slack/actions")
    for vendor in ("hubspot", "salesforce"):
        control.start_generator(vendor, rate_per_minute=leads_per_minute)

    def create(vendor: str, lead: dict) -> None:
        control.create_lead(vendor, **lead)

    running.trickle = Trickle(create, opening_leads(org), customer_leads(org)).start()
    log.info("demo: routing the sandbox's HubSpot and Salesforce leads (%.0f new leads a minute each); "
             "its Slack DMs: %s", leads_per_minute, running.slack_inbox_url)
    jobs.runtime(app)  # the pipeline is already wired; the worker thread picks the leads up


def start_demo_crm(app: Flask, port: int = DEMO_PORT) -> DemoCrm | None:
    """Start the sandbox (TLS, demo org) in this process; returns the demo CRM or None."""
    settings = app.config["LEADROUTER_SETTINGS"]
    if not wanted(app):
        return None
    cert_dir = settings.var_dir / "sandbox"
    cert_dir.mkdir(parents=True, exist_ok=True)
    try:
        running = start(port, tls=True, seed="demo", cert_dir=cert_dir)
    except OSError:  # the port is taken (another demo running): any free port will do
        running = start(0, tls=True, seed="demo", cert_dir=cert_dir)
    show_demo(app, running.url)
    demo = DemoCrm(running, pages_port=port + 1 if port else 0)
    app.jinja_env.globals["demo_crm"] = {"url": demo.url, "slack_inbox": demo.slack_inbox_url}  # the pages' banner
    log.info("demo CRM sandbox running at %s (CA certificate %s); set LEADROUTER_DEMO=off to disable",
             running.url, running.ca_path)
    return demo


def init_app(app: Flask) -> None:
    app.cli.add_command(sandbox)
