"""A person at the settings pages through Flask's test client: users with a known password, the
CSRF token a browser would send, a signed-in session; and the example routing config."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

ROUTING = (Path(__file__).resolve().parent.parent / "data" / "routing.yaml").read_text()
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


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


def csrf_of(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, email: str) -> None:
    token = csrf_of(client, "/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def post(client, path: str, data: dict | None = None, *, token_from: str = "/settings/", **kwargs):
    """A form post with the CSRF token a real browser would have."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_of(client, token_from)}, **kwargs)


def signed_in(app):
    """A test client of ``app`` signed in as a new admin."""
    from connector.platform.db import get_db

    make_user(get_db(app), "admin@example.com", "admin")
    client = app.test_client()
    sign_in(client, "admin@example.com")
    return client
