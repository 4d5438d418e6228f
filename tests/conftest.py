"""The one test harness: ``make_app`` (the app factory, ``tests/support/apps.py``), ``serve`` (a WSGI
app on a real port in a thread, ``tests/support/serve.py``), the CRM sandbox ``crm`` with its
control plane ``crm_control`` (``sandbox.client.SandboxClient``), and ``db_url`` over SQLite and
PostgreSQL. The project's root is on ``sys.path`` by pytest's ``pythonpath`` setting
(pyproject.toml), so ``pytest tests/<room>`` works from the checkout.

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
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.apps import build_app, dispose, migrate
from tests.support.machine import BROWSER_SKIP, POSTGRES_SKIP

# No developer's .env or exported settings may leak into a test.
# LEADROUTER_ACCEPTANCE_ROOT is the test suite's own: which checkout the acceptance suite runs.
for _name in [name for name in os.environ if name.startswith("LEADROUTER_") and name != "LEADROUTER_ACCEPTANCE_ROOT"]:
    del os.environ[_name]
os.environ.setdefault("LEADROUTER_LOG_LEVEL", "WARNING")

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
    reset it first (``crm_control.reset()``): data, faults, clock, deliveries and options."""
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

    migrate(db_url)
    database = db_room.Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def make_app(tmp_path: Path):
    """The app factory: ``make_app(db_url=None, var_dir=None, migrated=True, **config)`` builds
    the app as production does on a migrated database (default: a new SQLite file in
    ``tmp_path``; files under ``tmp_path / "var"``); the scheduler and worker are not started.
    Every app it built is disposed of (connections, database pool) when the test ends."""
    built = []

    def make(db_url: str | None = None, var_dir: Path | None = None, *, migrated: bool = True, **config):
        if db_url is None:   # leadrouter.db (the sqlite_url fixture's), then leadrouter1.db...
            db_url = f"sqlite:///{tmp_path / ('leadrouter%s.db' % (len(built) or ''))}"
        built.append(build_app(db_url, var_dir or tmp_path / "var", migrated=migrated, **config))
        return built[-1]

    yield make
    for application in built:
        dispose(application)


@pytest.fixture
def app(make_app):
    """The app on a migrated temporary SQLite database; scheduler and worker not started."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def serve():
    """``serve(app=None, ssl_context=None)``: the WSGI app on a free port of 127.0.0.1 in a thread
    (``Served``: its ``url``, ``port``; ``app`` may be set later); stopped when the test ends."""
    from tests.support.serve import Served

    started = []

    def start(app=None, **options) -> Served:
        started.append(Served(app, **options))
        return started[-1]

    yield start
    for served in reversed(started):
        served.stop()
