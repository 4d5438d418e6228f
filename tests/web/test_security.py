"""Sign-in, sessions, CSRF, roles, escaping and headers of the settings page."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from connector.pipeline.models import Assignment
from connector.platform.models import AuditLog
from connector.web.models import User
from connector.web.security import SELF_AUTHENTICATED, is_public
from tests.support.web import PASSWORD, csrf_of, make_user, post

SAMPLE_ARGS = {"int": "1", "default": "ana", "string": "ana", "path": "x", "any": "disable"}


def _urls(app: Flask, method: str) -> list[str]:
    """Every route of the app for ``method``, with sample values for its arguments."""
    urls = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.rule
        for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", url):
            url = re.sub(r"<[^>]*\b" + name + ">", SAMPLE_ARGS.get(converter or "default", "x"), url)
        urls.append(url)
    return sorted(set(urls))


def test_every_page_without_a_session_redirects_to_login(app, manager):
    client = app.test_client()
    checked = [url for url in _urls(app, "GET") if not is_public(url)]
    assert "/settings/rules/" in checked and "/" in checked and len(checked) > 15
    for url in checked:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


def test_health_and_login_stay_public(app, manager):
    client = app.test_client()
    for url in ("/healthz", "/readyz", "/login", "/assets/app.css", "/api/v1/openapi.json"):
        assert client.get(url).status_code == 200, url


def test_every_post_without_a_csrf_token_is_refused_with_400(app, manager_client):
    posts = [url for url in _urls(app, "POST") if not url.startswith(SELF_AUTHENTICATED)]
    assert "/settings/rules/1/move" in posts and "/login" in posts and "/settings/log/1/retry" in posts
    for url in posts:
        response = manager_client.post(url, data={"direction": "up", "name": "x"})
        assert response.status_code == 400, url
        assert "form expired" in response.get_data(as_text=True)


def test_doors_that_check_their_own_signatures_are_exempt_from_login_and_csrf(app):
    paths = ("/webhooks/test-door", "/slack/test-door", "/notify/accept/test-door")
    for path in paths:
        app.add_url_rule(path, path, lambda: "accepted", methods=["GET", "POST"])
    client = app.test_client()
    for path in paths:
        assert client.post(path, data=b"{}").get_data(as_text=True) == "accepted", path
        assert client.get(path).get_data(as_text=True) == "accepted", path


def test_a_lead_named_like_a_script_renders_as_text(db, manager_client):
    evil = "<script>alert(1)</script>"
    with db.session() as session:
        row = Assignment(connection="hubspot", lead_id="L1", status="written", rule=evil,
                         lead_summary={"name": evil, "company": evil}, trace=[{"text": evil}])
        session.add(row)
        session.flush()
        row_id = row.id
    for url in ("/settings/log/", f"/settings/log/{row_id}", "/settings/"):
        page = manager_client.get(url).get_data(as_text=True)
        assert evil not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_a_manager_cannot_open_admin_pages(manager_client):
    assert manager_client.get("/settings/users").status_code == 403
    assert post(manager_client, "/settings/users", {"email": "x@example.com", "role": "admin",
                                                    "password": "x" * 12}).status_code == 403


def test_an_admin_can_invite_a_manager(admin_client, db):
    response = post(admin_client, "/settings/users", {"email": "new@example.com", "role": "manager",
                                                      "password": "long enough pw"})
    assert response.status_code == 302
    with db.session() as session:
        assert session.query(User).filter_by(email="new@example.com").one().role == "manager"


def test_security_headers_are_on_every_response(app, manager_client):
    for response in (app.test_client().get("/login"), manager_client.get("/settings/rules/"),
                     app.test_client().get("/healthz")):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]


def test_pages_have_no_inline_scripts(manager_client, routing):
    for url in ("/settings/", "/settings/rules/", "/settings/rules/new", "/settings/simulate/"):
        page = manager_client.get(url).get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [], url
        assert re.search(r"<[^>]+\son[a-z]+\s*=", page) is None, url  # no inline event handlers


def test_session_cookie_is_httponly_and_samesite_lax(app, manager):
    client = app.test_client()
    token = csrf_of(client)
    response = client.post("/login", data={"email": manager.email, "password": PASSWORD, "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_behind_https(make_app, tmp_path):
    app = make_app(var_dir=tmp_path, LEADROUTER_BASE_URL="https://leads.example.com")
    # create_app already ran web.init_app(app)
    make_user(app.extensions["leadrouter.db"], "m@example.com", "manager")
    client = app.test_client()
    token = csrf_of(client)
    response = client.post("/login", data={"email": "m@example.com", "password": PASSWORD, "csrf_token": token})
    assert "Secure" in response.headers["Set-Cookie"]


def test_wrong_passwords_lock_the_account(app, manager, db):
    client = app.test_client()
    for _ in range(5):
        token = csrf_of(client)
        response = client.post("/login", data={"email": manager.email, "password": "wrong", "csrf_token": token})
        assert response.status_code == 401
    token = csrf_of(client)
    response = client.post("/login", data={"email": manager.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 401 and "locked" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.query(User).filter_by(email=manager.email).one().locked_until is not None
        assert session.query(AuditLog).filter_by(action="user.locked").count() == 1


def test_many_attempts_from_one_address_are_throttled(app, manager):
    app.extensions["leadrouter.login_window"].limit = 3
    client = app.test_client()
    statuses = []
    for number in range(4):
        token = csrf_of(client)
        statuses.append(client.post("/login", data={"email": f"x{number}@example.com", "password": "nope",
                                                    "csrf_token": token}).status_code)
    assert statuses == [401, 401, 401, 429]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(app, manager, target):
    client = app.test_client()
    token = csrf_of(client)
    response = client.post("/login?next=" + target, data={"email": manager.email, "password": PASSWORD,
                                                          "csrf_token": token})
    assert response.headers["Location"] == "/settings/"


def test_first_run_creates_the_admin_then_closes(app, db):
    client = app.test_client()
    assert client.get("/login").headers["Location"] == "/setup"
    token = csrf_of(client, "/setup")
    response = client.post("/setup", data={"email": "Boss@Example.com", "password": "a long secret",
                                           "confirm": "a long secret", "csrf_token": token})
    assert response.status_code == 302
    assert "Dashboard" in client.get("/settings/").get_data(as_text=True)
    with db.session() as session:
        assert session.query(User).one().role == "admin"
    assert app.test_client().get("/setup").headers["Location"] == "/login"


def test_setup_shows_errors_next_to_the_fields(app):
    client = app.test_client()
    token = csrf_of(client, "/setup")
    response = client.post("/setup", data={"email": "not-an-email", "password": "short", "confirm": "short",
                                           "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "enter an email address" in page and "at least 10 characters" in page


def test_sign_out_ends_the_session(manager_client):
    response = post(manager_client, "/logout")
    assert response.status_code == 302
    assert manager_client.get("/settings/").status_code == 302


def test_cli_creates_users(app, db):
    from click.testing import CliRunner

    from connector.web import cli

    runner = CliRunner()
    with app.app_context():   # the command runs in the app's context, as `python app.py users` does
        result = runner.invoke(cli.users, ["create", "ops@example.com", "--role", "admin", "--password", "x" * 12])
        assert result.exit_code == 0, result.output
        prompted = runner.invoke(cli.users, ["create", "rm@example.com", "--role", "manager"],
                                 input="another secret\nanother secret\n")
        assert prompted.exit_code == 0, prompted.output
        refused = runner.invoke(cli.users, ["create", "rm@example.com", "--role", "manager", "--password", "y" * 12])
        assert refused.exit_code == 2 and "already exists" in refused.output
    with db.session() as session:
        assert {u.email: u.role for u in session.query(User)} == {"ops@example.com": "admin", "rm@example.com": "manager"}


def test_ids_too_large_for_the_database_are_404_not_500(manager_client):
    huge = str(2**70)
    for url in (f"/settings/log/{huge}", f"/settings/rules/versions/{huge}", f"/settings/rules/export?version={huge}"):
        assert manager_client.get(url).status_code == 404, url
    assert post(manager_client, f"/settings/log/{huge}/retry").status_code == 302


def test_a_switched_off_user_loses_their_session_and_tokens(app, admin, admin_client, manager, db):
    from connector.web import users
    from tests.support.web import sign_in

    manager_client = app.test_client()
    sign_in(manager_client, manager.email)
    token = users.create_token(db, manager, "ci")
    assert post(admin_client, f"/settings/users/{manager.id}/disable").status_code == 302
    assert manager_client.get("/settings/").status_code == 302
    assert app.test_client().get("/api/v1/rules", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with db.session() as session:
        assert session.query(AuditLog).filter_by(action="user.disable").one().actor == "admin@example.com"
    page = post(admin_client, f"/settings/users/{admin.id}/disable", follow_redirects=True).get_data(as_text=True)
    assert "cannot switch yourself off" in page
    with db.session() as session:
        assert session.get(User, admin.id).active


def test_the_address_bar_root_is_the_dashboard_for_a_signed_in_person(admin_client):
    response = admin_client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/settings/"
    page = admin_client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "<h1>Dashboard</h1>" in page and "/assets/app.css" in page


def test_the_first_visit_at_the_root_ends_on_the_first_admin_form(app):
    client = app.test_client()
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/setup" and 'name="confirm"' in page.get_data(as_text=True)


def test_a_signed_out_visitor_at_the_root_goes_to_sign_in(app, manager):
    response = app.test_client().get("/", follow_redirects=True)
    assert response.request.path == "/login" and 'name="password"' in response.get_data(as_text=True)
