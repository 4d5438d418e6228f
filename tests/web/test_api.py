"""The JSON API: tokens, the same services as the pages, and the OpenAPI document fuzzed."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from connector.routing import store as routing_store
from connector.pipeline.models import Assignment, InboxEvent
from connector.platform.models import AuditLog
from connector.web import users
from tests.support.web import ROUTING, post


@pytest.fixture
def token(db, manager) -> str:
    return users.create_token(db, manager, "ci")


@pytest.fixture
def api(app, token):
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    class Api:
        def __getattr__(self, method):
            return lambda path, **kw: getattr(client, method)("/api/v1" + path, headers=auth, **kw)

    return Api()


def _routes(app, sample: bool = True) -> list[tuple[str, str]]:
    """(method, path) of every API route: with sample arguments, or as OpenAPI templates."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.endpoint != "api.openapi":
            if sample:
                path = re.sub(r"<int:\w+>", "1", rule.rule).replace("<rep_id>", "ana")
            else:
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):]).replace("assignment_id", "id")
            out += [(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}]
    return sorted(out)


def test_every_api_route_without_a_token_is_401(app, token):
    client = app.test_client()
    routes = _routes(app)
    assert len(routes) >= 13
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer lr_not-a-token"}, {"Authorization": f"Basic {token}"}):
            response = client.open(path, method=method, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_is_not_enough_for_the_api(manager_client):
    assert manager_client.get("/api/v1/rules").status_code == 401


def test_a_revoked_token_stops_working(db, manager, api, token):
    assert api.get("/rules").status_code == 200
    row = users.list_tokens(db, manager)[0]
    users.revoke_token(db, manager, row.id)
    assert api.get("/rules").status_code == 401


def test_tokens_page_shows_a_new_token_once(manager_client, db, manager):
    page = post(manager_client, "/settings/tokens", {"name": "deploy"}).get_data(as_text=True)
    shown = page.split('id="new-token">')[1].split("<")[0]
    assert users.principal_for_token(db, shown) == manager
    assert shown not in manager_client.get("/settings/tokens").get_data(as_text=True)


def test_ci_pushes_rules_as_yaml_and_reads_them_back(api, db):
    response = api.put("/rules?comment=merge%20%2342", data=ROUTING, content_type="application/yaml")
    assert response.status_code == 201 and response.get_json() == {"version": 1}
    row = routing_store.get_version(db)
    assert row.body == ROUTING and row.created_by == "manager@example.com (api)" and row.comment == "merge #42"
    again = api.put("/rules", data=ROUTING, content_type="application/yaml")
    assert again.get_json() == {"version": 1}  # the same file again makes no new version
    body = api.get("/rules").get_json()
    assert body["version"] == 1 and [r["name"] for r in body["config"]["rules"]][0] == "existing-customer"


def test_invalid_rules_get_422_with_the_engines_errors_by_path(api, db):
    response = api.put("/rules", json={"config": {**yaml.safe_load(ROUTING), "fallback": "rep:nobody"}})
    assert response.status_code == 422
    assert "fallback" in response.get_json()["errors"]
    assert routing_store.get_version(db) is None
    check = api.post("/rules/validate", data=ROUTING, content_type="application/yaml").get_json()
    assert check == {"valid": True, "errors": {}}


def test_versions_diff_and_rollback_through_the_api(api, db):
    api.put("/rules", data=ROUTING, content_type="application/yaml")
    api.put("/rules", data=ROUTING.replace("pick: weighted", "pick: random"), content_type="application/yaml")
    assert [v["version"] for v in api.get("/rules/versions").get_json()["items"]] == [2, 1]
    two = api.get("/rules/versions/2").get_json()
    assert two["changes"] == ["rule big-aerospace changed"] and "+    pick: random" in two["diff"]
    assert api.post("/rules/versions/1/rollback").get_json() == {"version": 3}
    assert routing_store.get_version(db).body == ROUTING
    assert api.get("/rules/versions/99").status_code == 404


def test_pause_and_unpause_through_the_api(api, routing, db):
    paused = api.post("/roster/ana/pause", json={"reason": "training"}).get_json()
    assert paused["paused"] and paused["paused_reason"] == "training"
    assert [r for r in api.get("/roster").get_json()["items"] if r["id"] == "ana"][0]["paused"]
    assert not api.post("/roster/ana/unpause").get_json()["paused"]
    assert api.post("/roster/nobody/pause").status_code == 404


def test_log_and_dead_letter_retry_through_the_api(api, db):
    with db.session() as session:
        session.add(Assignment(connection="salesforce", lead_id="00Q1", status="dead", last_error="timeout",
                               trace=[{"text": "ana: picked"}]))
    assert api.get("/log?status=dead").get_json()["total"] == 1
    assert api.get("/log?since=bad").status_code == 422
    dead = api.get("/dead-letters").get_json()["items"]
    assert dead[0]["last_error"] == "timeout" and dead[0]["trace"] == [{"text": "ana: picked"}]
    retried = api.post(f"/dead-letters/{dead[0]['id']}/retry").get_json()
    assert retried["status"] == "received"
    with db.session() as session:
        assert session.query(InboxEvent).one().source == "retry"
        assert session.query(AuditLog).filter_by(action="lead.retry").one().actor == "manager@example.com (api)"
    assert api.post(f"/dead-letters/{dead[0]['id']}/retry").status_code == 400


def test_simulate_through_the_api(api, routing):
    body = api.post("/simulate", json={"leads": [{"id": "L1", "email": "cto@acme.com"}]}).get_json()
    assert body["rows"][0]["owner"] == "bruno" and body["rows"][0]["rule"] == "existing-customer"
    assert api.post("/simulate", json={"nothing": 1}).status_code == 422
    assert api.post("/simulate", data="[1]", content_type="application/json").status_code == 422


def test_the_openapi_document_describes_exactly_the_api_routes(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    routes = set(_routes(app, sample=False))
    assert routes == documented


def test_fuzzing_the_openapi_document_never_gets_a_5xx(app, token, routing, db):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error

    with db.session() as session:
        session.add(Assignment(connection="hubspot", lead_id="1", status="dead", trace=[]))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    for operation in operations:
        @settings(max_examples=int(os.environ.get("LEADROUTER_FUZZ_EXAMPLES", 12)), deadline=None, database=None,
                  derandomize=not os.environ.get("LEADROUTER_FUZZ_RANDOM"), phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])

        fuzz()


def test_rules_are_edited_one_by_one_through_the_api(api, routing, db):
    rule = {"name": "vip", "when": {"field": "score", "op": "gte", "value": 90}, "to": ["rep:ana"]}
    assert api.post("/rules/items?base_version=1", json=rule).get_json() == {"version": 2}
    assert api.post("/rules/items?base_version=1", json={**rule, "name": "late"}).status_code == 409
    bad = api.put("/rules/items/3", json={**rule, "when": {"field": "score", "op": "bigger", "value": 1}})
    assert bad.status_code == 422 and "when.op" in bad.get_json()["errors"]
    assert api.post("/rules/items/3/move", json={"direction": "up"}).get_json() == {"version": 3}
    assert [r["name"] for r in yaml.safe_load(routing_store.get_version(db).body)["rules"]][2] == "vip"
    assert api.delete("/rules/items/2").get_json() == {"version": 4}
    assert api.delete("/rules/items/99").status_code == 404


def test_a_reps_routing_fields_through_the_api(api, routing, db):
    assert api.patch("/roster/bruno", json={"daily_cap": 3, "skills": ["french"]}).get_json() == {"version": 2}
    bruno = [r for r in api.get("/roster").get_json()["items"] if r["id"] == "bruno"][0]
    assert bruno["daily_cap"] == 3 and bruno["skills"] == ["french"]
    assert api.patch("/roster/bruno", json={"timezone": "Nowhere/City"}).status_code == 422
    assert api.patch("/roster/bruno", json={"colour": "blue"}).status_code == 422


def test_connections_through_the_api_take_every_key_and_never_show_a_secret(app, db, admin, manager):
    client = app.test_client()
    admin_auth = {"Authorization": f"Bearer {users.create_token(db, admin, 'git')}"}
    manager_auth = {"Authorization": f"Bearer {users.create_token(db, manager, 'ci')}"}
    body = {"name": "hubspot-eu", "kind": "hubspot", "token": "pat-eu-secret", "portal_id": "4455",
            "fields": {"score": "hubspotscore"}, "extra_fields": ["segment"], "object": "leads",
            "sync_contact_owner": True, "closed_statuses": ["UNQUALIFIED"], "poll_interval_seconds": 120}
    assert client.post("/api/v1/connections", json=body, headers=manager_auth).status_code == 403
    created = client.post("/api/v1/connections", json=body, headers=admin_auth)
    assert created.status_code == 201, created.get_json()
    shown = created.get_json()
    assert shown["fields"] == {"score": "hubspotscore"} and shown["object"] == "leads" and shown["token"] is True
    assert "pat-eu-secret" not in created.get_data(as_text=True)

    changed = client.put("/api/v1/connections/hubspot-eu", json={"extra_fields": ["segment", "product_interest"]},
                         headers=admin_auth)
    assert changed.status_code == 200, changed.get_json()
    after = changed.get_json()
    assert after["extra_fields"] == ["segment", "product_interest"] and after["token"] is True  # the rest stays
    assert after["fields"] == {"score": "hubspotscore"} and after["poll_interval_seconds"] == 120

    bad = client.post("/api/v1/connections", json={"name": "Bad Name", "kind": "hubspot", "object": "deals"},
                      headers=admin_auth)
    assert bad.status_code == 422
    assert {"name", "object", "token"} <= set(bad.get_json()["errors"])
    listed = client.get("/api/v1/connections", headers=admin_auth).get_json()["connections"]
    assert [c["name"] for c in listed if c["source"] == "stored"] == ["hubspot-eu"]
    assert "pat-eu-secret" not in str(listed)
    assert client.put("/api/v1/connections/nope", json={}, headers=admin_auth).status_code == 404
