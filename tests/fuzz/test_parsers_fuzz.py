"""Property-based fuzzing of every parser behind the doors and the settings: each either returns
its value or raises its own documented refusal, never anything else (RecursionError,
OverflowError, LookupError, TypeError, ...).

Unit-level on purpose: these are the parsers' contracts; the doors' HTTP behaviour is fuzzed in
``test_doors_fuzz.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, strategies as st
from pydantic import ValidationError

from adapters import salesforce_outbound
from adapters.errors import WebhookRejected
from adapters.hubspot import HubSpotAdapter
from connector.notify.actions import SlackPayload, _payload
from connector.routing.store import validate_text
from tests.support.apps import TEST_KEYS
from tests.fuzz.conftest import FUZZ
from tests.fuzz.tally import PARSED
from tests.fuzz.test_doors_fuzz import (bodies, hubspot_bodies, inbound_bodies, json_values, outbound_bodies,
                                        slack_bodies)
from webhooks import InboundBody
from connector.platform.request_limits import DoorError

ROUTING = yaml.safe_load((Path(__file__).resolve().parents[1] / "data" / "routing.yaml").read_text())


def _tally(parser: str, outcome: str) -> None:
    PARSED[(parser, outcome)] += 1


@pytest.fixture(scope="module")
def hubspot_adapter():
    return HubSpotAdapter({}, {"token": "pat-fuzz", "app_secret": "s"})


@FUZZ
@given(body=hubspot_bodies)
@example(body=b"[" * 50_000 + b"]" * 50_000)
def test_hubspot_event_lists(hubspot_adapter, body):
    try:
        events = hubspot_adapter.parse_webhook(body)
    except WebhookRejected as exc:
        assert exc.status == 400 and exc.message
        return _tally("hubspot_events", "refused")
    _tally("hubspot_events", "parsed")
    for event in events:
        assert event.lead_id.isdigit() and event.event_id


@FUZZ
@given(body=outbound_bodies)
def test_outbound_messages(body):
    try:
        message = salesforce_outbound.parse(body)
    except WebhookRejected as exc:
        assert exc.status in (400, 413) and exc.message
        return _tally("outbound_messages", "refused")
    _tally("outbound_messages", "parsed")
    assert all(n.id for n in message.notifications)


@FUZZ
@given(body=inbound_bodies)
def test_inbound_bodies(body):
    try:
        data = InboundBody.model_validate_json(body)
    except ValidationError:
        return _tally("inbound_bodies", "refused")
    _tally("inbound_bodies", "parsed")
    assert data.the_lead_id is not None


@FUZZ
@given(body=slack_bodies)
def test_slack_payloads(body):
    try:
        payload = _payload(body)
    except DoorError as exc:
        assert exc.status == 400
        return _tally("slack_payloads", "refused")
    _tally("slack_payloads", "parsed")
    assert isinstance(payload, SlackPayload)


def _mutated(path: list, value) -> str:
    """The test routing config with one value replaced (or a key added) at ``path``."""
    config = json.loads(json.dumps(ROUTING, default=str))
    node = config
    for step in path[:-1]:
        if isinstance(node, dict) and node:
            node = node[sorted(node)[step % len(node)]]
        elif isinstance(node, list) and node:
            node = node[step % len(node)]
    if isinstance(node, dict):
        keys = sorted(node)
        node[keys[path[-1] % len(keys)] if keys and path[-1] % 3 else f"k{path[-1]}"] = value
    elif isinstance(node, list) and node:
        node[path[-1] % len(node)] = value
    return json.dumps(config)


routing_texts = st.one_of(
    st.builds(_mutated, st.lists(st.integers(0, 50), min_size=1, max_size=5), json_values),
    json_values.map(lambda v: yaml.safe_dump(v)), st.text(max_size=200),
    bodies.map(lambda b: b.decode("utf-8", "replace")),
    st.integers(1, 3000).map(lambda n: "a: " + "[" * n + "]" * n),
    st.sampled_from(["a: " + "9" * 5000, "x: 2026-13-45", "a: &x [*x, *x]", "- " * 2000 + "x"]))


@FUZZ
@given(text=routing_texts)
@example(text="[" * 5000 + "]" * 5000)
def test_routing_configs_through_the_stores_validator(text):
    problems = validate_text(text)
    assert isinstance(problems, list) and all(isinstance(p, str) and p for p in problems)
    _tally("routing_configs", "refused" if problems else "valid")


@pytest.fixture(scope="module")
def connection_store(tmp_path_factory):
    from connector.platform.db import Database, upgrade
    from connector.platform.keys import SecretBox

    path = tmp_path_factory.mktemp("connections") / "c.db"
    upgrade(f"sqlite:///{path}")
    db = Database(f"sqlite:///{path}")
    yield db, SecretBox(TEST_KEYS["LEADROUTER_ENCRYPTION_KEY"])
    db.dispose()


form_text = st.text(max_size=40) | st.sampled_from(["", "salesforce", "hubspot", "https://x.example", "²", "9" * 5000,
                                                    "15", "86401", "-1", " 60 "])
connection_forms_valid = st.fixed_dictionaries(
    {"kind": st.sampled_from(["salesforce", "hubspot"]), "name": st.from_regex(r"[a-z0-9_-]{1,20}", fullmatch=True)},
    optional={"poll_interval_s": st.integers(0, 100_000).map(str), "url": form_text, "base_url": form_text,
              "token": form_text, "org_id": form_text, "enabled": st.sampled_from(["", "on"])})
connection_forms = connection_forms_valid | st.dictionaries(
    st.sampled_from(["kind", "name", "poll_interval_s", "base_url", "url", "portal_id", "client_id", "org_id",
                     "token", "app_secret", "client_secret", "enabled", "api_version", "fields", "extra_fields",
                     "intake_queues", "backfill", "auth", "object", "timeout", "closed_statuses"]), form_text,
    max_size=8)


@FUZZ
@given(form=connection_forms)
def test_connection_specs_through_the_connection_store(connection_store, form):
    from connector.platform.services import Invalid
    from connector.connections import service as connections

    db, box = connection_store
    try:
        row = connections.save(db, box, None, form, actor="fuzz")
    except Invalid as exc:
        assert exc.errors and all(exc.errors.values())
        return _tally("connection_specs", "refused")
    _tally("connection_specs", "saved")
    assert row.kind in connections.KIND_NAMES
    for spec in connections.specs(db, box):   # a saved spec always builds or says why not
        assert spec.kind in connections.KIND_NAMES
    with db.session() as session:   # keep the store small: one row per example
        from connector.connections.models import Connection
        session.delete(session.get(Connection, row.id))


def _connections_file(items) -> str:
    return yaml.safe_dump({"connections": items}) if isinstance(items, list) else yaml.safe_dump(items)


valid_file_items = st.fixed_dictionaries(
    {"name": st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True), "kind": st.sampled_from(["hubspot", "salesforce"])},
    optional={"token": st.sampled_from(["${FUZZ_TOKEN}", "${UNSET_VAR}", "inline"]),
              "app_secret": st.just("${FUZZ_TOKEN}"), "url": form_text, "client_id": form_text,
              "portal_id": json_values, "fields": json_values, "closed_statuses": json_values,
              "poll_interval_seconds": json_values, "org_id": json_values})
connection_files = st.one_of(
    st.lists(valid_file_items, max_size=3).map(_connections_file),
    st.lists(st.dictionaries(st.sampled_from(["name", "kind", "token", "url", "fields"]), json_values, max_size=4)
             | json_values, max_size=3).map(_connections_file),
    json_values.map(_connections_file), st.text(max_size=200),
    st.integers(1, 3000).map(lambda n: "connections: " + "[" * n + "]" * n),
    st.sampled_from(["connections: [{kind: [hubspot]}]", "connections:\n  - {kind: {a: 1}, name: [x]}",
                     "connections: [{name: a, kind: hubspot, token: ${X}, poll_interval_seconds: " + "9" * 5000 + "}]"]))


@FUZZ
@given(text=connection_files)
@example(text="connections: [{kind: [hubspot]}]")
def test_connection_files(tmp_path_factory, text):
    from connector.connections.registry import ConnectionsFileError, load_file

    path = tmp_path_factory.mktemp("file", numbered=True) / "connections.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        specs = load_file(path, environ={"FUZZ_TOKEN": "pat-fuzz"})
    except ConnectionsFileError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return _tally("connection_files", "refused")
    _tally("connection_files", "loaded")
    assert all(spec.name for spec in specs)
