"""Start-up options reach the vendors: limits and URLs can be set without control calls."""

from __future__ import annotations

import requests

from sandbox.server import start


def test_hubspot_ten_second_limit_is_settable_at_start():
    running = start(port=0, seed="demo", hubspot_ten_second_limit=3, slack_interactivity_url="http://127.0.0.1:9/x")
    try:
        headers = {"Authorization": "Bearer sandbox-hubspot-token"}
        statuses = [requests.get(f"{running.url}/crm/v3/owners/", headers=headers, timeout=10).status_code
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert running.sandbox.vendor("slack").interactivity_url == "http://127.0.0.1:9/x"
    finally:
        running.stop()


def test_reset_restores_the_start_options(crm):
    crm.sandbox.options["salesforce_outbound_url"] = "http://127.0.0.1:9/left-over"
    crm.sandbox.vendor("slack").interactivity_url = "http://127.0.0.1:9/left-over"
    crm.sandbox.reset()
    assert crm.sandbox.options["salesforce_outbound_url"] is None
    assert crm.sandbox.vendor("slack").interactivity_url is None
