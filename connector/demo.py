"""The first-run demo: with no CRM configured, `run` starts the CRM sandbox beside the app, so an
admin evaluating leadrouter sees a working Salesforce/HubSpot/Slack stand-in at once."""

from __future__ import annotations

import logging

from flask import Flask

from connector.settings import DemoMode

log = logging.getLogger(__name__)
DEMO_PORT = 8700


def wanted(settings) -> bool:
    return settings.demo is DemoMode.ON or (settings.demo is DemoMode.AUTO and not settings.crm_configured)


def start_demo_crm(app: Flask, port: int = DEMO_PORT):
    """Start the sandbox (TLS, demo org) in this process; returns the running sandbox or None."""
    settings = app.config["LEADROUTER_SETTINGS"]
    if not wanted(settings):
        return None
    from sandbox.server import start

    cert_dir = settings.var_dir / "sandbox"
    cert_dir.mkdir(parents=True, exist_ok=True)
    try:
        running = start(port, tls=True, seed="demo", cert_dir=cert_dir)
    except OSError:  # the port is taken (another demo running): any free port will do
        running = start(0, tls=True, seed="demo", cert_dir=cert_dir)
    app.extensions["leadrouter.demo"] = running
    log.info("demo CRM sandbox running at %s (CA certificate %s); set LEADROUTER_DEMO=off to disable",
             running.url, running.ca_path)
    return running
