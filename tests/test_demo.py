"""With no CRM configured, `run` starts the demo CRM sandbox; with one, it does not."""

from __future__ import annotations

import requests

from connector.demo import start_demo_crm
from tests.conftest import make_test_app


def test_no_crm_configured_starts_the_demo_crm_and_the_home_page_shows_it(sqlite_url, tmp_path):
    app = make_test_app(sqlite_url, tmp_path / "var")
    running = start_demo_crm(app, port=0)
    try:
        owners = requests.get(f"{running.url}/crm/v3/owners/", verify=str(running.ca_path), timeout=10,
                              headers={"Authorization": "Bearer sandbox-hubspot-token"}).json()
        assert len(owners["results"]) >= 8
        assert running.url in app.test_client().get("/").get_data(as_text=True)
    finally:
        running.stop()


def test_a_configured_crm_means_no_demo(sqlite_url, tmp_path):
    app = make_test_app(sqlite_url, tmp_path / "var", LEADROUTER_HUBSPOT_TOKEN="pat-na1-x")
    assert start_demo_crm(app, port=0) is None


def test_demo_can_be_switched_off(sqlite_url, tmp_path):
    app = make_test_app(sqlite_url, tmp_path / "var", LEADROUTER_DEMO="off")
    assert start_demo_crm(app, port=0) is None
