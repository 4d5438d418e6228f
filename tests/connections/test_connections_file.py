"""LEADROUTER_CONNECTIONS_FILE: any number of connections, secrets as ${VAR}, every problem listed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support import cli
from tests.support.apps import TEST_KEYS
from tests.support.cli import ROOT

BAD = """\
connections:
  - name: hubspot-eu
    kind: hubspot
    token: ${HUBSPOT_EU_TOKEN}
    objekt: contacts
  - name: hubspot-eu
    kind: hubspot
    token: ${HUBSPOT_US_TOKEN}
    page_size: 5000
  - name: crm3
    kind: pipedrive
  - name: salesforce
    kind: salesforce
    url: https://login.salesforce.com
    client_id: abc
    client_secret: plain-text-secret
    object: Opportunity
  - name: hubspot-us
    kind: hubspot
    token: ${NOT_SET_ANYWHERE}
"""

GOOD = """\
connections:
  - name: hubspot-eu
    kind: hubspot
    token: ${HUBSPOT_EU_TOKEN}
    fields: {score: hubspotscore}
    extra_fields: [segment]
  - name: hubspot-us
    kind: hubspot
    token: ${HUBSPOT_US_TOKEN}
    app_secret: ${HUBSPOT_US_APP_SECRET}
    object: leads
"""


def run_cli(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return cli.run_cli(*args, tmp_path=tmp_path, **{"LEADROUTER_DEMO": "off", **TEST_KEYS, **env})


def test_a_bad_connections_file_stops_start_up_listing_every_problem_with_its_path(tmp_path):
    path = tmp_path / "connections.yaml"
    path.write_text(BAD)
    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0  # migrating never reads it
    result = run_cli("worker", "--once", tmp_path=tmp_path, LEADROUTER_CONNECTIONS_FILE=str(path),
                     HUBSPOT_EU_TOKEN="pat-eu", HUBSPOT_US_TOKEN="pat-us")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"Error: {path} is not a valid connections file:"
    problems = [line.strip() for line in lines[1:]]
    assert problems == [
        "connections[0].objekt: unknown key",
        "connections[1].name: 'hubspot-eu' is also the name of connections[0]",
        "connections[1].page_size: Input should be less than or equal to 200",
        "connections[2].kind: must be one of hubspot, salesforce",
        "connections[3].client_secret: a secret must be a ${VAR} reference to an environment variable, "
        "never the value itself",
        "connections[3].object: Input should be 'Lead' or 'Contact'",
        "connections[4].token: the environment variable NOT_SET_ANYWHERE is not set",
    ], result.stderr
    assert "plain-text-secret" not in result.stderr and "pat-eu" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_good_file_gives_each_connection_its_own_door_and_readiness(tmp_path, make_app):
    path = tmp_path / "connections.yaml"
    path.write_text(GOOD)
    env = {"LEADROUTER_CONNECTIONS_FILE": str(path), "HUBSPOT_EU_TOKEN": "pat-eu", "HUBSPOT_US_TOKEN": "pat-us",
           "HUBSPOT_US_APP_SECRET": "us-secret"}
    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    result = run_cli("worker", "--once", tmp_path=tmp_path, **env)
    assert result.returncode == 0, result.stderr

    os.environ.update(env)   # the same settings, served: both connections are known
    try:
        app = make_app(f"sqlite:///{tmp_path / 'leadrouter.db'}", tmp_path)
        body = app.test_client().get("/readyz").get_json()
        assert body["connections"] == {"hubspot-eu": {"status": "ok"}, "hubspot-us": {"status": "ok"}}
        unsigned = app.test_client().post("/webhooks/hubspot/hubspot-us", json=[])
        assert unsigned.status_code == 401  # the door exists and asks for this portal's signature
        assert app.test_client().post("/webhooks/hubspot/hubspot", json=[]).status_code == 404
    finally:
        for key in env:
            os.environ.pop(key, None)


def test_docs_connections_md_describes_every_key_and_its_example_loads(tmp_path):
    import re

    from adapters.specs import reference
    from connector.connections.registry import load_file

    text = (ROOT / "docs" / "connections.md").read_text()
    for rows in reference().values():
        for row in rows:
            assert row in text, f"docs/connections.md lacks (or has an old) row: {row}"
    example = re.search(r"```yaml\n(connections:.*?)```", text, re.S).group(1)
    path = tmp_path / "c.yaml"
    path.write_text(example)
    key = tmp_path / "sf.key"
    path.write_text(example.replace("/etc/leadrouter/sf.key", str(key)))
    specs = load_file(path, {"HUBSPOT_EU_TOKEN": "t", "HUBSPOT_EU_APP_SECRET": "s"})
    assert [s.name for s in specs] == ["hubspot-eu", "salesforce"]
    assert specs[1].auth_style.value == "jwt" and specs[0].extra_fields == ["segment"]


def test_every_adapter_option_is_a_key_of_the_connection_model():
    """No adapter option exists that a user cannot set: every setting an adapter reads is a key
    of its connection model (file, environment, page and API all take it)."""
    import re

    from adapters.specs import HubSpotConnection, SalesforceConnection

    renamed = {"field_overrides": "fields", "object_type": "object"}
    for model, source in ((HubSpotConnection, "adapters/hubspot.py"), (SalesforceConnection, "adapters/salesforce.py")):
        read = set(re.findall(r"""\bs(?:\.get\(|\[)["'](\w+)["']""", (ROOT / source).read_text()))
        read |= set(re.findall(r"""secrets(?:\.get\(|\[)["'](\w+)["']""", (ROOT / source).read_text()))
        assert read, source
        keys = set(model.model_fields)
        missing = sorted(key for key in read if renamed.get(key, key) not in keys)
        assert missing == [], f"{source} reads options no user can set: {missing}"
