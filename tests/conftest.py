"""Shared fixtures: an app on a temporary database, and ``db_url`` over SQLite and PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (``.ci/run`` sets it). Each test gets a database of its
own, created from that server and dropped afterwards. Locally, without TEST_DATABASE_URL, the
PostgreSQL cases are skipped with a reason; in CI (CI=true) they fail instead of skipping.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# No developer's .env or exported settings may leak into a test.
for _name in [name for name in os.environ if name.startswith("LEADROUTER_")]:
    del os.environ[_name]
os.environ.setdefault("LEADROUTER_LOG_LEVEL", "WARNING")

TEST_KEYS = {
    "LEADROUTER_SECRET_KEY": "test-secret-key-not-for-production",
    "LEADROUTER_ENCRYPTION_KEY": "kA3y0Vn2x7mZ5b8Qe1tLr4uWc6pHs9dJf0gNi2oKvXE=",
}


def _postgres_admin_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = _postgres_admin_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("TEST_DATABASE_URL is not set in CI: .ci/run must provide a PostgreSQL")
        pytest.skip("PostgreSQL cases need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres)")
    return url


@pytest.fixture
def postgresql_url(postgres_admin_url: str):
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"lr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'leadrouter.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, once per engine: storage and concurrency tests run on both."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="session")
def crm():
    """One CRM sandbox (TLS, the demo org, every vendor) for the whole run. Tests that use it
    reset it first (``crm.sandbox.reset()``): data, faults, clock, deliveries and options."""
    from sandbox.server import start

    running = start(tls=True, seed="demo")
    yield running
    running.stop()


@pytest.fixture
def database(db_url: str):
    """A migrated empty database (SQLite and PostgreSQL) and its engine/session factory."""
    from connector import db as db_room

    db_room.upgrade(db_url)
    database = db_room.Database(db_url)
    yield database
    database.dispose()


def make_test_app(db_url: str, var_dir: Path, **extra):
    from app import create_app
    from connector import db as db_room

    db_room.upgrade(db_url)
    config = {"TESTING": True, "LEADROUTER_DATABASE_URL": db_url, "LEADROUTER_VAR_DIR": str(var_dir),
              **TEST_KEYS, **extra}
    return create_app(config)


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path):
    """The app on a migrated temporary SQLite database; scheduler and worker not started."""
    application = make_test_app(sqlite_url, tmp_path / "var")
    yield application
    application.extensions["leadrouter.db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()
