"""LEADROUTER_ROUTING_CONFIG set: the file manages the rules. The rules pages say so with its path
and offer no edit, save, rollback or import form; posts, the API's rule writes and
`python app.py rules import` are refused; nothing is stored. Without it the database owns them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from connector.platform.db import get_db
from connector.routing import store as routing_store
from connector.web import users
from tests.support.apps import TEST_KEYS
from tests.support.cli import run_cli
from tests.support.web import ROUTING, csrf_of, make_user, sign_in


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(ROUTING)
    return path


@pytest.fixture
def managed(make_app, rules_file: Path):
    """The app with LEADROUTER_ROUTING_CONFIG, the file stored as start-up stores it, a signed-in manager."""
    app = make_app(LEADROUTER_ROUTING_CONFIG=str(rules_file))
    db = get_db(app)
    routing_store.save_version(db, ROUTING, actor=f"file:{rules_file}", from_file=True)
    principal = make_user(db, "manager@example.com", "manager")
    client = app.test_client()
    sign_in(client, principal.email)
    return app, db, client, principal


def _versions(db) -> int:
    return routing_store.get_version(db).version


def test_the_rules_pages_say_a_file_manages_them_and_offer_no_edit_form(managed, rules_file):
    app, db, client, _ = managed
    for path in ("/settings/rules/", "/settings/rules/0/edit", "/settings/rules/versions",
                 "/settings/rules/versions/1"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "managed by the file" in page and str(rules_file) in page, path
        assert not re.search(r'<form method="post" action="/settings/rules', page), path
        assert 'id="rule-editor"' not in page and "Add a rule" not in page and "Import YAML" not in page, path
    assert "existing-customer" in client.get("/settings/rules/0/edit").get_data(as_text=True)
    for path in ("/settings/rules/new", "/settings/rules/import"):
        response = client.get(path)
        assert response.status_code == 409 and str(rules_file) in response.get_data(as_text=True), path


def test_every_rules_post_is_refused_with_the_files_path_and_stores_nothing(managed, rules_file):
    app, db, client, _ = managed
    posts = {"/settings/rules/0/edit": {"name": "x", "to": "team:west"}, "/settings/rules/new": {"name": "x"},
             "/settings/rules/0/move": {"direction": "down"}, "/settings/rules/0/delete": {},
             "/settings/rules/order": {"name": ["everyone-else", "big-aerospace", "existing-customer"]},
             "/settings/rules/versions/1/rollback": {}, "/settings/rules/import": {"text": ROUTING + "\n"}}
    for path, data in posts.items():
        response = client.post(path, data={**data, "csrf_token": csrf_of(client, "/settings/rules/")})
        assert response.status_code == 409, path
        assert "managed by the file" in response.get_data(as_text=True) and str(rules_file) in \
            response.get_data(as_text=True), path
    assert _versions(db) == 1


def test_the_apis_rule_writes_are_refused_with_409(managed, rules_file):
    app, db, client, principal = managed
    auth = {"Authorization": f"Bearer {users.create_token(db, principal, 'ci')}"}
    api = app.test_client()
    writes = [("put", "/api/v1/rules", {"data": ROUTING, "content_type": "application/yaml"}),
              ("post", "/api/v1/rules/items", {"json": {"name": "x", "to": "team:west"}}),
              ("put", "/api/v1/rules/items/0", {"json": {"name": "x", "to": "team:west"}}),
              ("delete", "/api/v1/rules/items/0", {}),
              ("post", "/api/v1/rules/items/0/move", {"json": {"direction": "down"}}),
              ("post", "/api/v1/rules/versions/1/rollback", {})]
    for method, path, kwargs in writes:
        response = getattr(api, method)(path, headers=auth, **kwargs)
        assert response.status_code == 409, (method, path, response.get_data(as_text=True))
        assert str(rules_file) in response.get_json()["error"], path
    assert api.get("/api/v1/rules", headers=auth).status_code == 200
    assert _versions(db) == 1


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return run_cli(*args, tmp_path=tmp_path / "var", **{**TEST_KEYS, **env})


def test_rules_import_is_refused_in_one_line_when_a_file_manages_the_rules(tmp_path, rules_file):
    other = tmp_path / "other.yaml"
    other.write_text(ROUTING.replace("pick: weighted", "pick: least_loaded"))
    assert _cli(tmp_path, "db", "upgrade").returncode == 0
    refused = _cli(tmp_path, "rules", "import", str(other), LEADROUTER_ROUTING_CONFIG=str(rules_file))
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "managed by the file" in lines[0] and str(rules_file) in lines[0], refused.stderr
    exported = _cli(tmp_path, "rules", "export", LEADROUTER_ROUTING_CONFIG=str(rules_file))
    assert "least_loaded" not in exported.stdout and "pick: weighted" in exported.stdout
    # Without the variable the database owns the rules again: the same import is stored.
    accepted = _cli(tmp_path, "rules", "import", str(other))
    assert accepted.returncode == 0, accepted.stderr
