"""Fixtures for the settings pages: the app's database, users, signed-in clients, a stored
routing config. The app is the suite's ``app`` (``tests/conftest.py``); the helpers a person
uses (sign in, CSRF, form posts) are in ``tests/support/web.py``."""

from __future__ import annotations

import pytest

from tests.support.web import ROUTING, make_user, sign_in


@pytest.fixture
def db(app):
    from connector.platform.db import get_db

    return get_db(app)


@pytest.fixture
def manager(db):
    return make_user(db, "manager@example.com", "manager")


@pytest.fixture
def admin(db):
    return make_user(db, "admin@example.com", "admin")


@pytest.fixture
def manager_client(app, manager):
    client = app.test_client()
    sign_in(client, manager.email)
    return client


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    sign_in(client, admin.email)
    return client


@pytest.fixture
def routing(db):
    from connector.routing import store as routing_store

    return routing_store.save_version(db, ROUTING, actor="test")
