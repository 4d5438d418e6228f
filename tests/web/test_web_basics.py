"""Health, readiness, request ids, the home page and the body-size limit."""

from __future__ import annotations

from tests.support.web import signed_in


def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ok_when_the_database_is_at_head(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["migration"] == body["head"]


def test_readyz_is_unavailable_before_migrations(make_app, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path, migrated=False)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "db upgrade" in response.get_json()["reason"]


def test_readyz_is_unavailable_when_the_database_is_unreachable(make_app, tmp_path):
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2", tmp_path, migrated=False)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_every_response_carries_a_request_id(client):
    fresh = client.get("/healthz")
    assert len(fresh.headers["X-Request-Id"]) >= 8
    echoed = client.get("/healthz", headers={"X-Request-Id": "lb-1234"})
    assert echoed.headers["X-Request-Id"] == "lb-1234"
    hostile = client.get("/healthz", headers={"X-Request-Id": "<script>"})
    assert hostile.headers["X-Request-Id"] != "<script>"


def test_home_page_needs_a_session_and_then_says_what_to_configure_next(app):
    assert app.test_client().get("/").status_code == 302
    page = signed_in(app).get("/", follow_redirects=True).get_data(as_text=True)
    assert "Connect a CRM" in page and "LEADROUTER_HUBSPOT_TOKEN" in page


def test_home_page_stops_asking_for_a_crm_once_one_is_configured(make_app, tmp_path):
    app = make_app(var_dir=tmp_path, LEADROUTER_HUBSPOT_TOKEN="pat-na1-x")
    page = signed_in(app).get("/", follow_redirects=True).get_data(as_text=True)
    assert "Next steps" in page and "Connect a CRM" not in page


def test_oversized_bodies_are_refused_with_413(client):
    response = client.post("/healthz", data=b"x" * (2 * 1024 * 1024))
    assert response.status_code in (405, 413)
    response = client.post("/", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert response.status_code in (405, 413)


def test_the_scheduler_does_not_start_in_tests(app):
    assert not app.extensions["leadrouter.scheduler"].running
