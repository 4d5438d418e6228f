"""Real-browser fixtures: the app served by werkzeug in a thread, driven by Debian's Chromium
through Playwright. Without /usr/bin/chromium the tests skip locally (summed up in one line by
``tests/conftest.py``'s ``pytest_terminal_summary``) and fail in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.machine import BROWSER_SKIP

# TEST_CHROMIUM names another binary (a test checks the no-browser path with it).
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
        "--disable-component-update", "--disable-sync"]


def need_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(BROWSER_SKIP + message)


@pytest.fixture
def live_server(app, serve):
    """The test app on a free port: its base URL."""
    return serve(app).url


_SHARED: dict = {}   # one Playwright and one Chromium per run, however many test modules import the fixture


@pytest.fixture(scope="session")
def browser():
    # Each module that imports this fixture gets a session fixture of its own, and Playwright's
    # sync API refuses a second instance while one runs: they share one, closed by the last.
    need_chromium()
    if not _SHARED:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _SHARED.update(playwright=playwright, users=0,
                       chromium=playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS))
    _SHARED["users"] += 1
    yield _SHARED["chromium"]
    _SHARED["users"] -= 1
    if not _SHARED["users"]:
        _SHARED["chromium"].close()
        _SHARED.pop("playwright").stop()
        _SHARED.clear()


@pytest.fixture
def page(browser, request):
    """A fresh browser context per test; a full-page screenshot is saved whatever the outcome."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    # Script errors and failed assets count; a page answering 4xx on purpose (a form with errors
    # is 422, a wrong password 401) is logged by Chromium as well, and does not.
    tab.on("console", lambda msg: errors.append(msg.text)
           if msg.type == "error" and "responded with a status of 4" not in msg.text else None)
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
    # A CSP violation, a failed asset or a script error on any page the test visited fails it.
    assert errors == [], errors
