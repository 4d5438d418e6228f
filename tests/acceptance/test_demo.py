"""`make run`'s demo as a newcomer meets it: `python app.py run` with nothing configured, on a fresh
database, as a real process. Within 60 seconds of its start the log page shows decisions made by
at least three different methods, each lead's page the reasons reps were skipped, and the demo
Slack inbox a DM with its buttons; clicking Accept there reaches the app, signed as Slack signs it,
and the DM changes. With a real CRM configured, no demo starts. Seen in headless Chromium (the
screenshots are kept in test-artifacts/ as CI artifacts) and from outside only.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.acceptance.conftest import new_product
from tests.acceptance.harness import free_port, stop_cleanly, wait_until
from tests.web.browser import ARTIFACTS, browser, page  # noqa: F401 — fixtures

pytestmark = pytest.mark.slow

ADMIN, PASSWORD = "admin@example.com", "correct horse battery staple"


def _start(tmp_path, **env):
    """The product with only what `make run` does: migrate, a first admin, `run`."""
    product = new_product(tmp_path / "install", {"LEADROUTER_VAR_DIR": str(tmp_path / "install" / "var"),
                                                        "LEADROUTER_LOG_LEVEL": "INFO", **env})
    product.cli("db", "upgrade")
    product.cli("users", "create", ADMIN, "--role", "admin", "--password", PASSWORD)
    port = free_port()
    process = product.start("run", "run", "--port", str(port), port=port)
    process.wait_ready()
    return product, process


def _sign_in(page, url: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/settings/")


def _methods(page, url: str) -> dict[str, str]:
    """method -> one lead's name, from the log page's written or notified rows."""
    page.goto(url + "/settings/log/")
    found = {}
    for row in page.locator("table.log tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        if len(cells) == 7 and cells[6] not in ("—", "") and ("written" in cells[2] or "notified" in cells[2]):
            found.setdefault(cells[6], cells[1].splitlines()[0])
    return found


def test_the_demo_shows_three_methods_with_reasons_and_a_dm_whose_accept_works(page, tmp_path):
    product, process = _start(tmp_path)
    ready = time.monotonic()
    try:
        _sign_in(page, process.url)
        banner = page.locator("#demo-banner")
        expect(banner).to_contain_text("Demo data")
        expect(banner).to_contain_text("LEADROUTER_HUBSPOT_TOKEN")
        inbox = banner.locator("a:has-text('demo Slack inbox')").get_attribute("href")

        methods = wait_until(lambda: (m := _methods(page, process.url)) and len(m) >= 3 and m,
                             60 - (time.monotonic() - ready), "decisions by three methods on the log page", every=1)
        page.screenshot(path=str(ARTIFACTS / "demo-log.png"), full_page=True)
        assert {"account owner", "weighted", "round robin"} & set(methods), methods

        page.goto(process.url + "/settings/log/")
        reasons = set()
        for href in [a.get_attribute("href") for a in page.locator("table.log a").all()][:15]:
            page.goto(process.url + href)
            reasons |= set(page.locator("ol.trace li").all_inner_texts())
        said = " ".join(reasons)
        assert "outside their territories" in said and ("outside hours" in said or "cap" in said), said

        def a_dm() -> bool:
            page.goto(inbox)
            return page.locator("section[id^='channel-D'] button:has-text('Accept')").count() > 0

        wait_until(a_dm, max(1.0, 60 - (time.monotonic() - ready)), "a DM with buttons in the Slack inbox", every=1)
        dm = page.locator("section[id^='channel-D']").first
        expect(dm.locator("h2")).to_contain_text("DM with")
        expect(dm.locator("button:has-text('Accept')").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "demo-slack-inbox.png"), full_page=True)
        first = dm.locator("article").first
        ts = first.get_attribute("data-ts")
        first.locator("button:has-text('Accept')").click()
        expect(page.locator(".note[role=status]")).to_contain_text("HTTP 200")
        accepted = page.locator(f"article[data-ts='{ts}']")
        expect(accepted).to_contain_text("edited")
        expect(accepted.locator("button:has-text('Accept')")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "demo-slack-accepted.png"), full_page=True)
    finally:
        stop_cleanly(product)


def test_no_demo_when_a_real_crm_is_configured(page, tmp_path):
    product, process = _start(tmp_path, LEADROUTER_HUBSPOT_TOKEN="pat-na1-not-a-real-token",
                              LEADROUTER_HUBSPOT_BASE_URL="http://127.0.0.1:9")
    try:
        _sign_in(page, process.url)
        expect(page.locator("#demo-banner")).to_have_count(0)
        assert not re.search(r"demo CRM sandbox running", process.log())
    finally:
        product.stop_all()
