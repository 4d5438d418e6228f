"""The suite on a fresh machine: a throwaway PostgreSQL when no TEST_DATABASE_URL is given, and one
summary line per missing piece (PostgreSQL server, Chromium) with the command that installs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.support.cli import ROOT
from tests.support.postgres import Cluster


def _pytest(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "TEST_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", *args],
                          cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=240)


def test_a_throwaway_cluster_answers_and_is_gone_after_stop():
    cluster = Cluster().start()
    directory = cluster.dir
    try:
        with psycopg.connect(cluster.url, connect_timeout=10) as conn:
            assert conn.execute("show fsync").fetchone() == ("off",)
    finally:
        cluster.stop()
    assert not directory.exists()


def test_without_a_url_the_postgresql_cases_run_on_a_throwaway_cluster(tmp_path):
    run = _pytest(tmp_path, "tests/platform/test_storage.py", "-k", "postgresql")
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout and "skipped" not in run.stdout, run.stdout


def test_missing_server_and_browser_are_one_summary_line_each_with_the_install_command(tmp_path):
    run = _pytest(tmp_path, "tests/platform/test_storage.py", "tests/web/test_browser.py", "-k", "postgresql or browser or page",
                  TEST_POSTGRES_BINDIR=str(tmp_path), TEST_CHROMIUM=str(tmp_path / "chromium"))
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    postgres = [line for line in lines if "PostgreSQL" in line]
    browser = [line for line in lines if "chromium" in line.lower()]
    assert len(postgres) == 1 and "apt-get install postgresql" in postgres[0], run.stdout
    assert len(browser) == 1 and "apt-get install chromium" in browser[0], run.stdout
    assert int(postgres[0].split()[0]) > 0 and int(browser[0].split()[0]) > 0


def test_in_ci_a_missing_server_fails_instead_of_skipping(tmp_path):
    run = _pytest(tmp_path, "tests/platform/test_storage.py", "-k", "postgresql", "-x",
                  TEST_POSTGRES_BINDIR=str(tmp_path), CI="true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "CI needs PostgreSQL" in run.stdout, run.stdout
