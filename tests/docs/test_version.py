"""One version, written once (`version` in pyproject.toml): `python app.py --version` prints it,
the settings page footer shows it, and CHANGELOG.md's newest release is it."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from tests.docs.commands import ROOT

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_the_cli_prints_the_version():
    done = subprocess.run([sys.executable, "app.py", "--version"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"leadrouter {VERSION}"


def test_the_settings_page_footer_shows_the_version(client):
    page = client.get("/login", follow_redirects=True)
    assert page.status_code == 200
    assert re.search(rf"<footer[^>]*>\s*leadrouter {re.escape(VERSION)}\s*</footer>", page.get_data(as_text=True))


def test_the_changelog_keeps_an_unreleased_section_above_the_current_version():
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert releases[0] == ("Unreleased", "")
    assert releases[1][0] == VERSION and releases[1][1], "the newest release, with its date, is pyproject's version"
