"""Fixtures for the settings page: the app with ``connector.web`` wired, users, signed-in clients."""

from __future__ import annotations

import re
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

from tests.conftest import TEST_KEYS

ROUTING = (Path(__file__).resolve().parent.parent / "data" / "routing.yaml").read_text()
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for each test: migrating per test costs more than the test."""
    from connector.platform import db as db_room

    path = tmp_path_factory.mktemp("template") / "leadrouter.db"
    db_room.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def web_app(migrated_template: Path, tmp_path: Path):
    from app import create_app

    shutil.copy(migrated_template, tmp_path / "leadrouter.db")
    app = create_app({"TESTING": True, "LEADROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'leadrouter.db'}",
                      "LEADROUTER_VAR_DIR": str(tmp_path / "var"), **TEST_KEYS})
    # create_app already ran web.init_app(app)
    yield app
    app.extensions["leadrouter.db"].dispose()


@pytest.fixture
def db(web_app):
    return web_app.extensions["leadrouter.db"]


@lru_cache(maxsize=1)
def _password_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD)


def make_user(db, email: str, role: str):
    """A user with PASSWORD; hashed once per run (scrypt is slow on purpose). Sign-in still
    checks the real hash."""
    from connector.web.models import User
    from connector.web.users import Principal

    with db.session() as session:
        user = User(email=email, password_hash=_password_hash(), role=role, active=True)
        session.add(user)
        session.flush()
        return Principal(user.id, user.email, user.role)


@pytest.fixture
def manager(db):
    return make_user(db, "manager@example.com", "manager")


@pytest.fixture
def admin(db):
    return make_user(db, "admin@example.com", "admin")


def csrf_of(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, email: str) -> None:
    token = csrf_of(client, "/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def manager_client(web_app, manager):
    client = web_app.test_client()
    sign_in(client, manager.email)
    return client


@pytest.fixture
def admin_client(web_app, admin):
    client = web_app.test_client()
    sign_in(client, admin.email)
    return client


@pytest.fixture
def routing(db):
    from connector.routing import store as routing_store

    return routing_store.save_version(db, ROUTING, actor="test")


def post(client, path: str, data: dict | None = None, *, token_from: str = "/settings/", **kwargs):
    """A form post with the CSRF token a real browser would have."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_of(client, token_from)}, **kwargs)
