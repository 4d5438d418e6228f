"""Database engine, sessions and migrations (Alembic is the only way the schema changes)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001 — DB-API types
            # We issue BEGIN ourselves (below), so the driver must not open transactions on its own.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            # WAL lets pages read while a worker writes; foreign keys are off by default in SQLite.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):  # noqa: ANN001
            # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
            # another writer committed in between (busy_timeout does not apply). Taking the write
            # lock up front makes writers queue politely instead.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_problem(engine: Engine) -> str | None:
    """None when the database answers and is at the newest migration; else one line saying what to
    do (``python app.py db upgrade``), for every command that needs the schema."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        return describe_error(exc)
    head = head_revision()
    if current == head:
        return None
    if current is None:
        return "the database has no tables yet: run `python app.py db upgrade`"
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()}
    if current not in known:
        return (f"the database is at migration {current}, which this version of leadrouter does not know "
                "(it was migrated by a newer version): upgrade leadrouter")
    return f"the database is at migration {current}, not the newest ({head}): run `python app.py db upgrade`"


def dialect_insert(session: Session):
    """The engine's own ``insert`` (PostgreSQL's or SQLite's): both have ``on_conflict_do_*``."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def describe_error(exc: Exception) -> str:
    """One line for a database error (no URL, so no password): the driver's first line."""
    original = getattr(exc, "orig", None) or exc
    first = (str(original).strip().splitlines() or [type(original).__name__])[0]
    return f"cannot use the database: {first}"


class Database:
    """The app's engine and session factory, kept on ``app.extensions['leadrouter.db']``."""

    def __init__(self, url: str, routing_file: Path | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Who owns the routing rules: LEADROUTER_ROUTING_CONFIG's file (read-only everywhere
        # else, see connector.routing.store.ManagedByFile), or None: the database.
        self.routing_file = routing_file

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> None:
    settings = app.config["LEADROUTER_SETTINGS"]
    app.extensions["leadrouter.db"] = Database(settings.database_url, routing_file=settings.routing_config)


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["leadrouter.db"]
