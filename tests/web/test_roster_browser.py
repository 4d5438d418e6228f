"""A manager at the roster and the rule editor in real headless Chromium, against the CRM sandbox:
she adds a CRM user as a rep with working hours and a territory, puts her at the top of a team's
rotation by dragging, and the next lead from that territory is written to her in the CRM; she
gives a rule its own SLA and it is there when she opens the rule again. Screenshots land in
test-artifacts/ (kept by CI)."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import expect

from connector.pipeline import jobs
from connector.platform.db import get_db
from connector.routing import store as routing_store
from tests.support.crm import unpoint_crm
from tests.support.waiting import wait_until
from tests.support.web import make_user
from tests.web.browser import ARTIFACTS, browser, page  # noqa: F401 — fixtures
from tests.web.sandboxed import served_app
from tests.web.test_browser import sign_in

MANAGER = "manager@example.com"


def _owners(crm) -> dict[str, str]:
    return {o.email: str(o.id) for o in crm.sandbox.vendor("hubspot").owners.owners.values()}


@pytest.fixture
def live(crm, crm_control, make_app, serve):
    """The app served on a port, connected to the sandbox's HubSpot and Salesforce (webhooks aimed
    at it), with a team whose only rep covers the US."""
    app, url = served_app(crm, crm_control, make_app, serve)
    maya = "maya.patel@demo.leadrouter.dev"
    config = {"version": 1, "timezone": "UTC",
              "reps": [{"id": "maya", "name": "Maya Patel", "email": maya, "crm": {"hubspot": _owners(crm)[maya]},
                        "territories": [{"country": "US"}]}],
              "teams": [{"id": "inbound", "name": "Inbound", "members": ["maya"]}],
              "rules": [{"name": "by-territory", "to": "team:inbound", "require": ["territory"], "on_empty": "wait"}]}
    routing_store.save_version(get_db(app), yaml.safe_dump(config, sort_keys=False), actor="test")
    make_user(get_db(app), MANAGER, "manager")
    yield app, url
    unpoint_crm(crm_control, crm)


def _active(app) -> dict:
    return yaml.safe_load(routing_store.get_version(get_db(app)).body)


def test_a_new_rep_with_hours_and_a_territory_gets_the_next_matching_lead(page, live, crm, crm_control):
    app, url = live
    sign_in(page, url, MANAGER, "/settings/roster/")
    page.click("text=Read users from the CRMs now")
    page.click("button[aria-label='Add Emma Schmidt to routing']")
    page.wait_for_url("**/settings/roster/emma.schmidt")
    page.fill("input[name=timezone]", "Europe/Berlin")
    page.fill("textarea[name=hours]", "mon-sun: 00:00-24:00")
    page.fill("textarea[name=territories]", "DE")
    page.click("button:has-text('Save as a new version')")
    expect(page.locator(".flash.ok")).to_contain_text("Saved Emma Schmidt")

    page.click("a[aria-label='Edit team Inbound']")
    page.select_option("select[name=add_member]", "emma.schmidt")
    page.click("button:has-text('Add to the rotation')")
    members = page.locator("#members li[data-id]")
    expect(members).to_have_count(2)
    members.nth(1).drag_to(members.nth(0))          # drag Emma above Maya
    expect(members.nth(0)).to_have_attribute("data-id", "emma.schmidt")
    page.click("button.primary:has-text('Save as a new version')")
    expect(page.locator(".flash.ok")).to_contain_text("Saved team Inbound")
    page.screenshot(path=str(ARTIFACTS / "roster-after-adding-emma.png"), full_page=True)

    config = _active(app)
    emma = next(r for r in config["reps"] if r["id"] == "emma.schmidt")
    assert emma["hours"] == {"mon-sun": "00:00-24:00"} and emma["territories"] == [{"country": "DE"}]
    assert config["teams"][0]["members"] == ["emma.schmidt", "maya"]

    lead = crm_control.create_lead("hubspot", first_name="Jonas", last_name="Weber", email="jonas@weber-gmbh.de",
                                   company="Weber GmbH", country="DE")
    wait_until(lambda: jobs.drain(app, "browser-test").written, 20, "the DE lead routed and written")
    owner = crm_control.record("hubspot", "contacts", lead["id"])["properties"]["hubspot_owner_id"]
    assert owner == emma["crm"]["hubspot"] == _owners(crm)["emma.schmidt@demo.leadrouter.dev"]


def test_a_rules_sla_edited_on_the_page_persists(page, live):
    app, url = live
    sign_in(page, url, MANAGER, "/settings/rules/")
    page.click("a.name:has-text('by-territory')")
    page.check("#sla-fields input[name=sla_mode][value=own]")
    page.fill("input[name=sla_minutes]", "30")
    page.locator("select[name=sla_ladder]").nth(0).select_option("remind")
    page.locator("select[name=sla_ladder]").nth(1).select_option("reroute")
    page.fill("input[name=sla_escalate_to]", "email:head-of-sales@example.com")
    page.click("button:has-text('Save as a new version')")
    expect(page.locator(".flash.ok")).to_contain_text("Saved rule by-territory")
    assert _active(app)["rules"][0]["sla"] == {"minutes": 30, "ladder": ["remind", "reroute"],
                                               "escalate_to": ["email:head-of-sales@example.com"]}
    page.click("a.name:has-text('by-territory')")
    expect(page.locator("#sla-fields input[name=sla_mode][value=own]")).to_be_checked()
    expect(page.locator("input[name=sla_minutes]")).to_have_value("30")
    expect(page.locator("select[name=sla_ladder]").nth(1)).to_have_value("reroute")


def test_a_bad_sla_is_shown_at_its_field(page, live):
    app, url = live
    sign_in(page, url, MANAGER, "/settings/rules/0/edit")
    page.check("#sla-fields input[name=sla_mode][value=own]")
    page.fill("input[name=sla_minutes]", "0")
    page.click("button:has-text('Save as a new version')")
    expect(page.locator("#sla-fields .field-error")).to_contain_text("greater than or equal to 1")
    expect(page.locator("input[name=sla_minutes]")).to_have_attribute("aria-invalid", "true")
    assert "sla" not in _active(app)["rules"][0]
