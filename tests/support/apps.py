"""The app as production builds it (``app.create_app``), on a migrated database, for the tests:
``build_app(db_url, var_dir, **config)``; ``tests/conftest.py`` offers it as the ``make_app``
fixture, which disposes of every app it built when the test ends.

A new SQLite file starts as a copy of one database migrated once per run: migrating each test's
database costs more than most tests. Any other database (PostgreSQL, a file that exists) is
brought to the newest revision by Alembic itself."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

# The keys every test app runs with (no test may generate or read a developer's).
TEST_KEYS = {
    "LEADROUTER_SECRET_KEY": "test-secret-key-not-for-production",
    "LEADROUTER_ENCRYPTION_KEY": "kA3y0Vn2x7mZ5b8Qe1tLr4uWc6pHs9dJf0gNi2oKvXE=",
}

_template: list[Path] = []


def _migrated_sqlite() -> Path:
    """One SQLite database at the newest revision, made on first use and removed at exit."""
    if not _template:
        from connector.platform import db as db_room

        folder = Path(tempfile.mkdtemp(prefix="leadrouter-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        db_room.upgrade(f"sqlite:///{folder / 'leadrouter.db'}")
        _template.append(folder / "leadrouter.db")
    return _template[0]


def migrate(db_url: str) -> None:
    """``db_url`` at the newest revision (a new SQLite file: a copy of the migrated template)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_sqlite(), url.database)
        return
    from connector.platform import db as db_room

    db_room.upgrade(db_url)


def build_app(db_url: str, var_dir: Path, *, migrated: bool = True, **config):
    """The app on ``db_url`` (migrated first unless ``migrated=False``), its files under ``var_dir``,
    TESTING on (the scheduler and the worker are not started), the test keys and ``config`` on top."""
    from app import create_app

    if migrated:
        migrate(db_url)
    return create_app({"TESTING": True, "LEADROUTER_DATABASE_URL": db_url, "LEADROUTER_VAR_DIR": str(var_dir),
                       **TEST_KEYS, **config})


def dispose(app) -> None:
    """What the app holds open: its CRM connections and its database pool."""
    from connector.connections.registry import get_connections
    from connector.platform.db import get_db

    get_connections(app).close()
    get_db(app).dispose()
