"""The settings page in real headless Chromium: what the page shows and what the database holds.
Each test leaves a screenshot in test-artifacts/."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import median

import yaml
from playwright.sync_api import expect

from connector.routing import store as routing_store
from connector.pipeline.models import Assignment, InboxEvent
from connector.connections.models import Connection
from connector.routing.models import Rep
from tests.web.browser import ARTIFACTS, browser, live_server, page  # noqa: F401 — fixtures
from tests.support.web import PASSWORD

VENDOR = Path(__file__).resolve().parents[2] / "connector" / "web" / "static" / "vendor" / "chartjs"
CSV = "id,email,country,industry,employees\nL1,cto@acme.com,US,Retail,20\nL2,x@y.io,ES,Retail,10\n"


def sign_in(page, base: str, email: str, then: str = "/settings/") -> None:
    page.goto(base + then)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**" + then)


def _rules(db) -> list[str]:
    return [r["name"] for r in yaml.safe_load(routing_store.get_version(db).body)["rules"]]


def test_sign_in_lands_on_the_dashboard(page, live_server, manager):
    page.goto(live_server + "/settings/rules/")
    assert "/login" in page.url
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", "wrong password")
    page.click("button:has-text('Sign in')")
    assert page.locator(".flash.error").inner_text() == "Wrong email or password."
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/settings/rules/")
    assert page.locator("h1").first.inner_text().startswith("Rules")


def test_add_a_rule_with_two_conditions_fixing_a_bad_regex(page, live_server, manager, routing, db):
    sign_in(page, live_server, manager.email, "/settings/rules/")
    page.click("text=Add a rule")
    page.fill("input[name=name]", "spanish-speakers")
    rows = page.locator(".cond")
    rows.nth(0).locator("input[name=cond_field]").fill("country")
    rows.nth(0).locator("select[name=cond_op]").select_option("in")
    rows.nth(0).locator("input[name=cond_value]").fill("ES, MX")
    rows.nth(1).locator("input[name=cond_field]").fill("email")
    rows.nth(1).locator("select[name=cond_op]").select_option("matches")
    rows.nth(1).locator("input[name=cond_value]").fill("(a+)+@")
    page.fill("input[name=to]", "team:west")
    page.click("button:has-text('Save as a new version')")
    error = page.locator(".cond").nth(1).locator(".field-error")
    assert "nested quantifier" in error.inner_text().lower()
    assert routing_store.get_version(db).version == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rule_editor_with_a_bad_regex.png"), full_page=True)
    page.locator(".cond").nth(1).locator("input[name=cond_value]").fill(r"@(corp|empresa)\.es$")
    page.click("button:has-text('Save as a new version')")
    page.wait_for_url("**/settings/rules/")
    assert "Saved rule spanish-speakers as version 2" in page.locator(".flash.ok").inner_text()
    assert page.locator(".rule .name").last.inner_text() == "spanish-speakers"
    rule = yaml.safe_load(routing_store.get_version(db).body)["rules"][-1]
    assert rule["when"] == {"all": [{"field": "country", "op": "in", "value": ["ES", "MX"]},
                                    {"field": "email", "op": "matches", "value": r"@(corp|empresa)\.es$"}]}


def test_reorder_rules_with_the_arrows(page, live_server, manager, routing, db):
    sign_in(page, live_server, manager.email, "/settings/rules/")
    page.click("button[aria-label='Move everyone-else up']")
    page.wait_for_selector(".flash.ok")
    names = page.locator(".rule .name").all_inner_texts()
    assert names == ["existing-customer", "everyone-else", "big-aerospace"]
    assert _rules(db) == names and routing_store.get_version(db).version == 2


def test_simulate_a_csv_and_read_the_result(page, live_server, manager, routing):
    sign_in(page, live_server, manager.email, "/settings/simulate/")
    page.fill("textarea[name=csv]", CSV)
    page.click("button:has-text('Simulate')")
    result = page.locator("#sim-result")
    assert "Result: 2 leads" in result.locator("h2").inner_text()
    first = result.locator("table.sim-rows tbody tr").first
    assert "bruno" in first.inner_text() and "existing-customer" in first.inner_text()
    first.locator("summary").click()
    assert first.locator(".trace li").count() >= 1 and first.locator(".trace").is_visible()
    assert "bruno" in result.locator("table.totals").inner_text()


def test_roll_back_a_version(page, live_server, manager, routing, db):
    routing_store.save_version(db, routing_store.get_version(db).body.replace("pick: weighted", "pick: random"),
                               actor="someone@example.com")
    sign_in(page, live_server, manager.email, "/settings/rules/versions")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button[aria-label='Roll back to version 1']")
    page.wait_for_url("**/settings/rules/")
    assert "version 1's rules are active again, as version 3" in page.locator(".flash.ok").inner_text()
    active = routing_store.get_version(db)
    assert active.version == 3 and "pick: weighted" in active.body and active.created_by == manager.email


def test_pause_a_rep(page, live_server, manager, routing, db):
    sign_in(page, live_server, manager.email, "/settings/roster/")
    card = page.locator("#rep-carla")
    card.locator("input[name=reason]").fill("on holiday")
    card.locator("button:has-text('Pause')").click()
    page.wait_for_selector(".flash.ok")
    card = page.locator("#rep-carla")
    assert "paused" in card.locator(".badge").inner_text() and "on holiday" in card.inner_text()
    with db.session() as session:
        assert session.get(Rep, "carla").paused


def test_retry_a_dead_letter(page, live_server, manager, db):
    with db.session() as session:
        row = Assignment(connection="hubspot", lead_id="901", status="dead", rep_id="ana",
                         last_error="403: missing scope crm.objects.contacts.write", attempts=8,
                         lead_summary={"name": "Dana Dead", "company": "Gone Inc"})
        session.add(row)
    sign_in(page, live_server, manager.email, "/settings/log/dead")
    assert "missing scope crm.objects.contacts.write" in page.locator("table.dead").inner_text()
    page.click("button[aria-label='Retry 901']")
    page.wait_for_selector(".flash.ok")
    assert "901 is back in the queue" in page.locator(".flash.ok").inner_text()
    assert "No dead letters" in page.locator("table.dead").inner_text()
    with db.session() as session:
        assert session.query(InboxEvent).filter_by(lead_id="901").one().status == "pending"


def test_the_pages_fit_a_phone(page, live_server, manager, routing, db):
    _seed_the_log(db)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, manager.email, "/settings/rules/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the rules page scrolls sideways on a phone ({width}px)"
    assert page.locator("text=Add a rule").is_visible()
    page.goto(live_server + "/settings/")
    page.wait_for_function("document.querySelectorAll('canvas').length === 5 && Chart.getChart('chart-statuses')")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the dashboard scrolls sideways on a phone ({width}px)"


def test_drag_a_rule_to_the_top(page, live_server, manager, routing, db):
    sign_in(page, live_server, manager.email, "/settings/rules/")
    page.locator(".rule[data-name='everyone-else']").drag_to(page.locator(".rule[data-name='existing-customer']"),
                                                             target_position={"x": 40, "y": 5})
    page.wait_for_selector(".flash.ok")
    assert page.locator(".rule .name").all_inner_texts()[0] == "everyone-else"
    assert _rules(db)[0] == "everyone-else"


def test_a_lead_shows_its_decision_trace(page, live_server, manager, db):
    with db.session() as session:
        row = Assignment(connection="hubspot", lead_id="77", status="written", rep_id="ana", rule="big-aerospace",
                         lead_summary={"name": "<b>Ada</b> Lovelace", "company": "Analytical Engines"},
                         trace=[{"step": "rule", "text": "rule big-aerospace: matched (industry in Aerospace)"},
                                {"step": "candidate", "result": "skipped", "text": "bruno: outside hours 09:00-18:00"},
                                {"step": "pick", "text": "weighted: ana has the highest credit"}])
        session.add(row)
    sign_in(page, live_server, manager.email, "/settings/log/")
    page.fill("input[name=q]", "lovelace")
    page.click("button:has-text('Filter')")
    page.wait_for_url("**q=lovelace**")
    page.click("text=<b>Ada</b> Lovelace")
    page.wait_for_url("**/settings/log/1")
    assert page.locator("h1").inner_text().startswith("<b>Ada</b> Lovelace")  # shown as text, not markup
    steps = page.locator(".trace li").all_inner_texts()
    assert steps == ["rule big-aerospace: matched (industry in Aerospace)", "bruno: outside hours 09:00-18:00",
                     "weighted: ana has the highest credit"]


def test_an_admin_adds_a_connection_and_copies_its_webhook_url(page, live_server, admin, db):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, live_server, admin.email, "/settings/connections/")
    page.click("text=Add HubSpot")
    page.fill("input[name=name]", "hubspot")
    page.fill("input[name=token]", "pat-na1-secret-token")
    page.fill("input[name=app_secret]", "hubspot-app-secret")
    page.click("button:has-text('Save')")
    page.wait_for_selector(".flash.ok")
    assert "pat-na1" not in page.content()
    page.click("button.copy[data-copy^='url-']")
    expect(page.locator("button.copy[data-copy^='url-']")).to_have_text("Copied")  # the clipboard write is asynchronous
    assert page.evaluate("navigator.clipboard.readText()").endswith("/webhooks/hubspot/hubspot")
    with db.session() as session:
        assert session.query(Connection).one().kind == "hubspot"


def _seed_the_log(db) -> dict[str, list[float]]:
    """Twelve written leads over six days, each touched 10 minutes after its owner was written, and
    one waiting; returns minutes to owner per day (MM-DD)."""
    now = datetime.now(timezone.utc)
    minutes_per_day: dict[str, list[float]] = {}
    with db.session() as session:
        for n, (rep, rule, minutes) in enumerate([("ana", "big-aerospace", 2), ("bruno", "everyone-else", 5),
                                                  ("ana", "everyone-else", 1), ("carla", "everyone-else", 9)] * 3):
            at = now - timedelta(days=n % 6, hours=1)
            minutes_per_day.setdefault(at.date().isoformat()[5:], []).append(minutes)
            session.add(Assignment(connection="hubspot", lead_id=f"D{n}", status="written", rep_id=rep, rule=rule,
                                   received_at=at, written_at=at + timedelta(minutes=minutes),
                                   first_touch_at=at + timedelta(minutes=minutes + 10)))
        session.add(Assignment(connection="hubspot", lead_id="W1", status="waiting", received_at=now))
    return minutes_per_day


# What Chart.js holds for each canvas, and how many of its pixels it painted.
CHARTS = """() => [...document.querySelectorAll("canvas")].map((canvas) => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted++;
  return {id: canvas.id, type: chart && chart.config.type, labels: chart && chart.data.labels,
          values: chart && chart.data.datasets[0].data, painted, width: canvas.clientWidth};
})"""


def test_the_dashboard_draws_charts_from_the_log_with_chart_js(page, live_server, admin, db):
    minutes_per_day = _seed_the_log(db)
    sign_in(page, live_server, admin.email)
    version = (VENDOR / "VERSION").read_text().split()[1]
    assert page.evaluate("window.Chart && Chart.version") == version  # the vendored copy, from /assets/
    charts = {chart.pop("id"): chart for chart in page.evaluate(CHARTS)}
    assert list(charts) == ["chart-per-rep", "chart-speed", "chart-assign", "chart-per-rule", "chart-statuses"]
    for name, chart in charts.items():
        assert chart["type"] == "bar" and chart["width"] > 200 and chart["painted"] > 1000, name
    assert (charts["chart-per-rep"]["labels"], charts["chart-per-rep"]["values"]) == (["ana", "bruno", "carla"],
                                                                                      [6, 3, 3])
    assert (charts["chart-per-rule"]["labels"], charts["chart-per-rule"]["values"]) == (
        ["everyone-else", "big-aerospace", "(fallback / none)"], [9, 3, 1])
    assert (charts["chart-statuses"]["labels"], charts["chart-statuses"]["values"]) == (["written", "waiting"],
                                                                                        [12, 1])
    assign = dict(zip(charts["chart-assign"]["labels"], charts["chart-assign"]["values"]))
    speed = dict(zip(charts["chart-speed"]["labels"], charts["chart-speed"]["values"]))   # arrival -> first touch
    assert len(assign) == len(speed) == 14
    assert {day: value for day, value in assign.items() if value} == {
        day: median(minutes) for day, minutes in minutes_per_day.items()}
    assert {day: value for day, value in speed.items() if value} == {
        day: median(minutes) + 10 for day, minutes in minutes_per_day.items()}
    # The numbers stay in the page for screen readers, out of sight once the charts are drawn.
    fairness = page.locator("section.card", has_text="Leads per rep").locator(".chart-numbers")
    assert fairness.locator("tbody th").all_text_contents() == ["ana", "bruno", "carla"]
    assert fairness.bounding_box()["width"] <= 1
    assert page.locator(".tile.warn b").inner_text() == "1"


def test_without_scripts_the_dashboard_shows_its_numbers_as_tables(browser, live_server, admin, db):
    _seed_the_log(db)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        sign_in(page, live_server, admin.email)
        assert page.locator("canvas").count() == 5 and not page.locator("canvas").first.is_visible()
        statuses = page.locator("section.card", has_text="Statuses").locator(".chart-numbers")
        assert statuses.is_visible()
        assert [row.split("\t") for row in statuses.locator("tbody tr").all_inner_texts()] == [["written", "12"],
                                                                                               ["waiting", "1"]]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard_without_scripts.png"), full_page=True)
    finally:
        context.close()
