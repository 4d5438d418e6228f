"""The core: control plane, clock, faults, request log, generator, deliveries, CLI."""
from __future__ import annotations

from click.testing import CliRunner

from sandbox.cli import sandbox as sandbox_command
from sandbox.core import Clock


def test_clock_freezes_advances_and_returns_to_real_time():
    clock = Clock()
    clock.set(__import__("datetime").datetime(2024, 1, 1))
    clock.advance(3600)
    assert clock.now().isoformat() == "2024-01-01T01:00:00+00:00"
    clock.set(None)
    assert clock.now().year >= 2025


def test_control_clock_seed_reset_and_records(http, sandbox_server, fresh_sandbox):
    base = f"{sandbox_server.url}/__sandbox__"
    assert http.post(f"{base}/clock", json={"now": "2024-06-01T08:00:00Z", "advance": 30}).json() \
        == {"now": "2024-06-01T08:00:30+00:00", "frozen": True}
    lead = http.post(f"{base}/leads", json={"vendor": "salesforce", "first_name": "Ana",
                                            "last_name": "Lima", "company": "Lima SA"}).json()
    assert lead["CreatedDate"] == "2024-06-01T08:00:30.000+0000"
    got = http.get(f"{base}/records/salesforce/Lead/{lead['Id']}")
    assert got.json()["Name"] == "Ana Lima"
    assert http.get(f"{base}/records/salesforce/Lead/00Q5g0000000zzzAAA").status_code == 404
    assert http.post(f"{base}/reset", json={}).json()["ok"] is True
    assert http.get(f"{base}/records/salesforce/Lead/{lead['Id']}").status_code == 404
    assert http.post(f"{base}/seed", json={"org": "nope"}).status_code == 400


def test_generator_makes_a_day_of_leads_in_sandbox_time(http, sandbox_server, fresh_sandbox):
    fresh_sandbox.clock.set(__import__("datetime").datetime(2024, 2, 1))
    made = http.post(f"{sandbox_server.url}/__sandbox__/generator",
                     json={"vendor": "salesforce", "count": 96, "rate_per_minute": 1 / 15,
                           "seed": 42}).json()
    assert made["created"] == 96
    store = fresh_sandbox.vendor("salesforce").store
    leads = sorted(store.rows("Lead"), key=lambda r: r["CreatedDate"])
    assert (leads[-1]["CreatedDate"] - leads[0]["CreatedDate"]).total_seconds() == 95 * 15 * 60
    assert len({r["Country"] for r in leads}) > 3 and all(r["Company"] for r in leads)
    again = fresh_sandbox.generator.run("salesforce", count=1, seed=42)
    assert store.get("Lead", again["ids"][0])["LastName"] == leads[0]["LastName"]  # seeded


def test_faults_via_control_plane_and_request_log(http, sandbox_server, fresh_sandbox, sf_token):
    base = f"{sandbox_server.url}/__sandbox__"
    rule = http.post(f"{base}/faults", json={"kind": "error", "vendor": "salesforce",
                                             "method": "GET", "path": "/services/data/*",
                                             "status": 500, "count": 1}).json()
    assert rule["id"] and rule["status"] == 500
    auth = {"Authorization": f"Bearer {sf_token}"}
    first = http.get(f"{sandbox_server.url}/services/data/v59.0/limits/", headers=auth)
    second = http.get(f"{sandbox_server.url}/services/data/v59.0/limits/", headers=auth)
    assert (first.status_code, second.status_code) == (500, 200)
    assert first.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert http.get(f"{base}/faults").json() == {"faults": []}  # count used up
    assert http.post(f"{base}/faults", json={"kind": "error", "status": 404}).status_code == 400
    log = http.get(f"{base}/requests", params={"vendor": "salesforce"}).json()["requests"]
    assert [e["status"] for e in log][-2:] == [500, 200] and log[-1]["fault"] is None
    since = http.get(f"{base}/requests", params={"since": log[-2]["seq"]}).json()["requests"]
    assert len(since) == 1
    stats = http.get(f"{base}/stats").json()
    assert stats["by_endpoint"]["GET /services/data/v59.0/limits/"] == 2
    assert stats["by_status"]["500"] == 1


def test_deliveries_give_up_after_max_attempts(fresh_sandbox):
    fresh_sandbox.deliveries.configure(delay_factor=0.0005)
    delivery = fresh_sandbox.deliveries.deliver("http://127.0.0.1:9/nowhere", b"x", {},
                                                max_attempts=3)
    assert fresh_sandbox.deliveries.wait_idle(10)
    assert delivery.status.value == "failed" and len(delivery.attempts) == 3
    assert all(a["error"] for a in delivery.attempts)


def test_cli_documents_its_options_and_defaults():
    result = CliRunner().invoke(sandbox_command, ["--help"])
    assert result.exit_code == 0
    for text in ("--port", "--tls", "--cert-dir", "--salesforce-outbound-url",
                 "--hubspot-webhook-url", "admin@sandbox.example", "xoxb-sandbox"):
        assert text in result.output


def test_every_control_route_answers_errors_by_one_policy(http, sandbox_server, fresh_sandbox):
    """The core's and each vendor's control routes: {"error": why}, 400 for a bad value, 404 for
    a name that names nothing, and the vendor's own status when the vendor refused what the route
    asked of it."""
    base = f"{sandbox_server.url}/__sandbox__"
    http.post(f"{base}/slack/interactivity", json={"url": "http://127.0.0.1:9/actions"})
    answers = {
        "bad value (core)": http.post(f"{base}/clock", json={"now": "yesterday"}),
        "bad value (Salesforce)": http.post(f"{base}/salesforce/orgs", json={"colour": "red"}),
        "bad value (HubSpot)": http.post(f"{base}/hubspot/portals", json={"region": "mars"}),
        "bad body (Slack)": http.post(f"{base}/slack/interactivity", data=b"[1]"),
        "no such record (core)": http.get(f"{base}/records/salesforce/Lead/00Q5g0000000zzzAAA"),
        "no such org (Salesforce)": http.get(f"{base}/salesforce/limits?org_id=00D000000000000"),
        "no such portal (HubSpot)": http.get(f"{base}/hubspot/owners?portal_id=1"),
        "no such message (Slack)": http.post(f"{base}/slack/click", json={"message_ts": "1.2", "action_id": "a",
                                                                          "user": "maya"}),
    }
    inactive = next(u["Id"] for u in fresh_sandbox.vendor("salesforce").store.rows("User") if not u["IsActive"])
    lead = http.post(f"{base}/leads", json={"vendor": "salesforce", "last_name": "L", "company": "C"}).json()["Id"]
    answers["refused by Salesforce"] = http.post(f"{base}/salesforce/reassign", json={"lead_id": lead,
                                                                                      "owner_id": inactive})
    statuses = {what: answer.status_code for what, answer in answers.items()}
    assert statuses == {"bad value (core)": 400, "bad value (Salesforce)": 400, "bad value (HubSpot)": 400,
                        "bad body (Slack)": 400, "no such record (core)": 404, "no such org (Salesforce)": 404,
                        "no such portal (HubSpot)": 404, "no such message (Slack)": 404,
                        "refused by Salesforce": 400}
    assert all(set(answer.json()) == {"error"} and answer.json()["error"] for answer in answers.values())
    assert answers["refused by Salesforce"].json()["error"].startswith("INACTIVE_OWNER_OR_USER: ")
