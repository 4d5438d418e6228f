"""The command line: one click group, reachable as `python app.py` and `flask --app app`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.apps import TEST_KEYS
from tests.support.cli import ROOT, run_cli
from tests.support.waiting import free_port

COMMANDS = ["run", "web", "worker", "poll", "simulate", "sandbox", "rules", "db", "bench", "users", "connections"]


@pytest.mark.parametrize("flask", [False, True], ids=["python-app", "flask-app"])
def test_help_lists_every_command(tmp_path, flask):
    result = run_cli("--help", tmp_path=tmp_path, flask=flask)
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMANDS) <= listed


def test_db_upgrade_current_downgrade_round_trip(tmp_path):
    upgraded = run_cli("db", "upgrade", tmp_path=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "leadrouter.db").exists()
    current = run_cli("db", "current", tmp_path=tmp_path)
    from connector.platform.db import head_revision

    assert f"current: {head_revision()}" in current.stdout and "upgrade needed" not in current.stdout
    down = run_cli("db", "downgrade", "base", tmp_path=tmp_path)
    assert down.returncode == 0 and "base" in down.stdout
    again = run_cli("db", "current", tmp_path=tmp_path)
    assert "upgrade needed" in again.stdout


def test_run_refuses_to_start_on_an_unmigrated_database(tmp_path):
    result = run_cli("run", "--port", "0", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "db upgrade" in result.stderr


def test_worker_once_routes_what_is_due_and_exits(tmp_path):
    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    result = run_cli("worker", "--once", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"claimed": 0' in result.stdout


def test_poll_without_a_crm_says_what_to_configure(tmp_path):
    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    result = run_cli("poll", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "no CRM connection configured" in result.stderr


def test_web_serves_the_app_with_gunicorn(tmp_path):
    import time
    import urllib.request

    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    port = free_port()
    env = {"PATH": os.environ["PATH"], "LEADROUTER_VAR_DIR": str(tmp_path), "LEADROUTER_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "app.py", "web", "--port", str(port), "--workers", "2"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read()
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(20)


def test_a_bad_routing_config_file_stops_start_up_with_the_engines_errors(tmp_path):
    bad = tmp_path / "routing.yaml"
    bad.write_text("version: 1\nrules:\n  - name: x\n    to: rep:nobody\n    pick: sideways\n")
    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    result = run_cli("worker", "--once", tmp_path=tmp_path, LEADROUTER_ROUTING_CONFIG=str(bad))
    assert result.returncode == 1
    assert "is not a valid routing config" in result.stderr
    assert "rules[0].to" in result.stderr and "rules[0].pick" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_good_routing_config_file_is_imported_at_start_once(tmp_path):
    good = ROOT / "tests" / "data" / "routing.yaml"
    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    for _ in range(2):
        assert run_cli("worker", "--once", tmp_path=tmp_path, LEADROUTER_ROUTING_CONFIG=str(good)).returncode == 0
    exported = run_cli("rules", "export", "--version", "1", tmp_path=tmp_path)
    assert exported.stdout.strip() == good.read_text().strip()
    assert "no routing config version 2" in run_cli("rules", "export", "--version", "2", tmp_path=tmp_path).stderr


SCHEMA_COMMANDS = [("run", "--port", "0"), ("web", "--port", "0"), ("worker",), ("worker", "--once"), ("poll",),
                   ("rules", "import", "tests/data/routing.yaml"), ("rules", "export"),
                   ("users", "create", "a@example.com", "--role", "admin", "--password", "long-enough-password")]


@pytest.mark.parametrize("argv", SCHEMA_COMMANDS, ids=[" ".join(a[:2]) for a in SCHEMA_COMMANDS])
def test_every_command_that_needs_the_schema_says_to_migrate_in_one_line(tmp_path, argv):
    result = run_cli(*argv, tmp_path=tmp_path, LEADROUTER_DEMO="off", **TEST_KEYS)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == ["Error: the database has no tables yet: run `python app.py db upgrade`"]


def test_an_outdated_database_names_its_migration_and_the_command(tmp_path):
    assert run_cli("db", "upgrade", "base", tmp_path=tmp_path).returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "leadrouter.db") as conn:  # as if migrated by an older version
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('0001')")
    result = run_cli("worker", "--once", tmp_path=tmp_path, **TEST_KEYS)
    assert result.returncode == 1
    line, = result.stderr.strip().splitlines()
    assert "at migration 0001, not the newest" in line and "python app.py db upgrade" in line


def test_an_unreachable_database_is_one_line(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    for argv in (("db", "upgrade"), ("db", "current"), ("worker", "--once")):
        result = run_cli(*argv, tmp_path=tmp_path, LEADROUTER_DATABASE_URL=url, **TEST_KEYS)
        assert result.returncode == 1, result.stderr
        line, = result.stderr.strip().splitlines()
        assert line.startswith("Error: cannot use the database:") and "Traceback" not in result.stderr


def test_db_upgrade_on_a_fresh_database_with_a_routing_config_file(tmp_path):
    good = ROOT / "tests" / "data" / "routing.yaml"
    upgrade = run_cli("db", "upgrade", tmp_path=tmp_path, LEADROUTER_ROUTING_CONFIG=str(good))
    assert upgrade.returncode == 0, upgrade.stderr
    assert run_cli("worker", "--once", tmp_path=tmp_path, LEADROUTER_ROUTING_CONFIG=str(good)).returncode == 0
    assert run_cli("rules", "export", tmp_path=tmp_path).stdout.strip() == good.read_text().strip()
