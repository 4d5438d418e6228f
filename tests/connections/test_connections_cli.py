"""`python app.py connections test [NAME]`, run as a subprocess against the sandbox: one line per
check, each unknown mapped field named, exit 1 when a check fails; file, environment and stored
connections alike; what the calls saw is kept as the connection's health."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.support.apps import TEST_KEYS
from tests.support.cli import run_cli


@pytest.fixture
def migrated(tmp_path):
    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    return tmp_path


def _file(tmp_path, crm, **hubspot) -> str:
    sf = crm.sandbox.vendor("salesforce").describe()
    connections = [
        {"name": "hubspot-eu", "kind": "hubspot", "token": "${HS_TOKEN}", "base_url": crm.url,
         "ca_bundle": str(crm.ca_path), **hubspot},
        {"name": "salesforce", "kind": "salesforce", "url": crm.url, "ca_bundle": str(crm.ca_path),
         "auth": "password", "client_id": sf["client_id"], "client_secret": "${SF_SECRET}",
         "username": sf["username"], "password": "${SF_PASSWORD}",
         "fields": {"score": "Rating"}, "extra_fields": ["Description"]},
    ]
    path = tmp_path / "connections.yaml"
    path.write_text(json.dumps({"connections": connections}))   # JSON is YAML
    return str(path)


def _env(crm, path: str) -> dict:
    sf = crm.sandbox.vendor("salesforce").describe()
    return {"LEADROUTER_CONNECTIONS_FILE": path, "HS_TOKEN": crm.sandbox.options["hubspot_token"],
            "SF_SECRET": sf["client_secret"], "SF_PASSWORD": sf["password"] + sf["security_token"], **TEST_KEYS}


def test_good_fields_pass_and_the_command_exits_0(migrated, crm):
    crm.sandbox.reset()
    path = _file(migrated, crm, fields={"score": "hubspotscore"}, extra_fields=["lifecyclestage"])
    result = run_cli("connections", "test", tmp_path=migrated, **_env(crm, path))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 6 and all(" ✓ " in line for line in lines), result.stdout
    assert "hubspot-eu: ✓ mapped fields — every mapped field exists in the CRM" in lines
    assert "salesforce: ✓ mapped fields — every mapped field exists in the CRM" in lines
    assert re.search(r"salesforce: ✓ read users/owners — works \([1-9]\d* found\)", result.stdout)
    asked = [(r["method"], r["path"]) for r in crm.sandbox.requests.list()]
    assert ("GET", "/crm/v3/properties/contacts") in asked
    assert ("GET", "/services/data/v59.0/sobjects/Lead/describe") in asked


def test_a_bad_field_is_named_and_the_command_exits_1(migrated, crm):
    crm.sandbox.reset()
    path = _file(migrated, crm, extra_fields=["segmnt", "lifecyclestage"])
    result = run_cli("connections", "test", "hubspot-eu", tmp_path=migrated, **_env(crm, path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "hubspot-eu: ✗ mapped fields — contacts.segmnt is not a property of contacts in this portal" \
        in result.stdout.splitlines()
    assert "lifecyclestage" not in result.stdout and "salesforce" not in result.stdout
    assert "Traceback" not in result.stderr


def test_a_salesforce_field_missing_from_the_org_is_named(migrated, crm):
    crm.sandbox.reset()
    path = _file(migrated, crm)
    text = open(path).read().replace('"Description"', '"Segmnt__c"')
    open(path, "w").write(text)
    result = run_cli("connections", "test", "salesforce", tmp_path=migrated, **_env(crm, path))
    assert result.returncode == 1
    assert "salesforce: ✗ mapped fields — Lead.Segmnt__c is not a field of Lead in this org" in result.stdout


def test_an_unknown_name_is_one_line_and_exit_1(migrated, crm):
    path = _file(migrated, crm)
    result = run_cli("connections", "test", "nope", tmp_path=migrated, **_env(crm, path))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == ["Error: no connection named 'nope'; known: hubspot-eu, salesforce"]


def test_refused_credentials_fail_without_printing_the_secret(migrated, crm):
    crm.sandbox.reset()
    path = _file(migrated, crm)
    env = {**_env(crm, path), "HS_TOKEN": "pat-wrong-token-value"}
    result = run_cli("connections", "test", "hubspot-eu", tmp_path=migrated, **env)
    assert result.returncode == 1
    assert "✗ read users/owners — cannot read the list of owners (reps): the credentials were refused" in result.stdout
    assert "pat-wrong-token-value" not in result.stdout + result.stderr


def test_environment_and_stored_connections_are_tested_too_and_health_is_kept(migrated, crm):
    from connector.platform import db as db_room
    from connector.platform.keys import SecretBox
    from connector.connections.models import Connection, ConnectionHealthRecord

    crm.sandbox.reset()
    database = db_room.Database(f"sqlite:///{migrated / 'leadrouter.db'}")
    box = SecretBox(TEST_KEYS["LEADROUTER_ENCRYPTION_KEY"])
    try:
        with database.session() as session:
            session.add(Connection(name="stored-hs", kind="hubspot", enabled=True,
                                   settings={"base_url": crm.url, "ca_bundle": str(crm.ca_path),
                                             "extra_fields": ["segmnt"]},
                                   secrets=box.encrypt(json.dumps({"token": crm.sandbox.options["hubspot_token"]}))))
        env = {"LEADROUTER_HUBSPOT_TOKEN": crm.sandbox.options["hubspot_token"], "LEADROUTER_HUBSPOT_BASE_URL": crm.url,
               "LEADROUTER_HUBSPOT_CA_BUNDLE": str(crm.ca_path), **TEST_KEYS}
        result = run_cli("connections", "test", tmp_path=migrated, **env)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "hubspot: ✓ mapped fields — every mapped field exists in the CRM" in result.stdout
        assert "stored-hs: ✗ mapped fields — contacts.segmnt is not a property of contacts in this portal" \
            in result.stdout
        with database.session() as session:
            rows = {r.connection: r for r in session.scalars(select(ConnectionHealthRecord))}
        assert set(rows) == {"hubspot", "stored-hs"}
        limits = crm.sandbox.vendor("hubspot").limiter.snapshot_locked()
        assert rows["hubspot"].last_ok_at is not None and rows["hubspot"].last_error is None
        assert rows["hubspot"].headroom["daily_max"] == limits["daily_max"]
        assert 0 < rows["hubspot"].headroom["daily_remaining"] < limits["daily_max"]
    finally:
        database.dispose()
