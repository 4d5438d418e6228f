"""With no CRM configured, `run` starts the demo CRM sandbox; with one, it does not."""

from __future__ import annotations

import requests
import yaml

from connector.demo import start_demo_crm
from tests.support.web import signed_in


def test_no_crm_configured_starts_the_demo_crm_and_the_home_page_shows_it(app):
    running = start_demo_crm(app, port=0)
    try:
        owners = requests.get(f"{running.url}/crm/v3/owners/", verify=str(running.ca_path), timeout=10,
                              headers={"Authorization": "Bearer sandbox-hubspot-token"}).json()
        assert len(owners["results"]) >= 8
        assert running.url in signed_in(app).get("/", follow_redirects=True).get_data(as_text=True)
    finally:
        running.stop()


def test_a_configured_crm_means_no_demo(make_app):
    app = make_app(LEADROUTER_HUBSPOT_TOKEN="pat-na1-x")
    assert start_demo_crm(app, port=0) is None


def test_a_connection_stored_on_the_page_means_no_demo(app):
    from connector.connections import service
    from connector.platform.db import get_db
    from connector.platform.keys import secret_box

    service.save(get_db(app), secret_box(app), None, {"kind": "hubspot", "name": "hubspot", "token": "pat-na1-x"},
                 actor="admin@example.com")
    assert start_demo_crm(app, port=0) is None


def test_demo_can_be_switched_off(make_app):
    app = make_app(LEADROUTER_DEMO="off")
    assert start_demo_crm(app, port=0) is None


def test_the_demo_routes_the_sandboxs_leads_end_to_end(app):
    import time

    from connector.pipeline import jobs
    from connector.demo import attach_demo
    from connector.routing.store import get_version
    from connector.platform.db import get_db

    running = start_demo_crm(app, port=0)
    try:
        attach_demo(app, running, "http://127.0.0.1:9", leads_per_minute=600)
        config = yaml.safe_load(get_version(get_db(app)).body)
        assert [t["id"] for t in config["teams"]] == ["americas", "emea-apac"] and config["sla"]["ladder"]
        time.sleep(1.0)
        running.sandbox.generator.stop()
        queued = jobs.poll(app, "hubspot") + jobs.poll(app, "salesforce")
        assert queued >= 2
        report = jobs.drain(app)
        assert report.written == queued, report
    finally:
        running.stop()
