"""Shared fixtures: an app on a temporary database, and ``db_url`` over SQLite and PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL when it is set (``.ci/run`` sets it to the machine's
server when one answers on 127.0.0.1:5432). Without it, the first test that needs PostgreSQL
starts a throwaway cluster from the installed server binaries (``tests/support/postgres.py``),
stopped and deleted at the end of the run. Each test gets a database of its own, created on that
server and dropped afterwards. With no server binaries the PostgreSQL cases are skipped locally,
summed up in one line with the command that installs them; in CI (CI=true) they fail instead.
Browser tests are summed up the same way (``tests/web/browser.py``).
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
# LEADROUTER_ACCEPTANCE_ROOT is the test suite's own: which checkout the acceptance suite runs.
for _name in [name for name in os.environ if name.startswith("LEADROUTER_") and name != "LEADROUTER_ACCEPTANCE_ROOT"]:
    del os.environ[_name]
os.environ.setdefault("LEADROUTER_LOG_LEVEL", "WARNING")

TEST_KEYS = {
    "LEADROUTER_SECRET_KEY": "test-secret-key-not-for-production",
    "LEADROUTER_ENCRYPTION_KEY": "kA3y0Vn2x7mZ5b8Qe1tLr4uWc6pHs9dJf0gNi2oKvXE=",
}


POSTGRES_SKIP = "PostgreSQL case skipped: "
BROWSER_SKIP = "browser test skipped: "


def _postgres_admin_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    return _sqlalchemy_url(url)


def _sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A superuser URL (SQLAlchemy, psycopg) of a PostgreSQL server for this run: TEST_DATABASE_URL,
    else a throwaway cluster started on first use and removed at the end of the session."""
    url = _postgres_admin_url()
    if url is not None:
        yield url
        return
    from tests.support.postgres import Cluster, Unavailable

    try:
        cluster = Cluster().start()
    except Unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL and none could be started: {exc}")
        pytest.skip(POSTGRES_SKIP + str(exc))
    try:
        yield _sqlalchemy_url(cluster.url)
    finally:
        cluster.stop()


def _skips_with(reports, prefix: str) -> list:
    return [r for r in reports if isinstance(r.longrepr, tuple) and str(r.longrepr[2]).startswith(
        ("Skipped: " + prefix, prefix))]


def pytest_terminal_summary(terminalreporter) -> None:
    """One line per missing piece of the machine (addopts has no ``-rs``, so pytest lists no
    skips itself): how many tests it skipped and the command that installs it."""
    skipped = terminalreporter.stats.get("skipped", [])
    postgres, browser = _skips_with(skipped, POSTGRES_SKIP), _skips_with(skipped, BROWSER_SKIP)
    if postgres:
        terminalreporter.write_line(f"{len(postgres)} PostgreSQL tests skipped: no PostgreSQL server here; "
                                    "install it with `apt-get install postgresql`", yellow=True)
    if browser:
        terminalreporter.write_line(f"{len(browser)} browser tests skipped: no Chromium (/usr/bin/chromium); "
                                    "install it with `apt-get install chromium`", yellow=True)
    others = len(skipped) - len(postgres) - len(browser)
    if others:
        terminalreporter.write_line(f"{others} other tests skipped: `pytest -rs` lists them and why", yellow=True)


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


@pytest.fixture(scope="session")
def crm_control(crm):
    """The sandbox's control plane over HTTPS (seed, reset, clock, faults, request log, records,
    orgs and portals, deliveries, Slack messages and clicks)."""
    from sandbox.client import SandboxClient

    client = SandboxClient(crm.url, ca=crm.ca_path)
    yield client
    client.close()


@pytest.fixture
def database(db_url: str):
    """A migrated empty database (SQLite and PostgreSQL) and its engine/session factory."""
    from connector.platform import db as db_room

    db_room.upgrade(db_url)
    database = db_room.Database(db_url)
    yield database
    database.dispose()


def make_test_app(db_url: str, var_dir: Path, **extra):
    from app import create_app
    from connector.platform import db as db_room

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
