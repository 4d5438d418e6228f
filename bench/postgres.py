"""PostgreSQL for the benchmarks that need several processes: the server of
``LEADROUTER_BENCH_POSTGRES_URL``, else the one on 127.0.0.1:5432 when it answers, else a
throwaway cluster from the installed server binaries (``tests/support/postgres.py``). Each run
gets a fresh database of its own, dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench.rig import BenchError

LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _answers(url: str) -> bool:
    import psycopg  # here, not at import: `python app.py` loads bench/ for its command list

    try:
        psycopg.connect(url, connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


class Server:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def count(self, url: str, sql: str) -> int:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            return int(conn.execute(sql).fetchone()[0])

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A new empty database; its SQLAlchemy URL (psycopg 3)."""
        import psycopg

        name = f"lr_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base = self.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        try:
            yield f"{base}/{name}"
        finally:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def server() -> Iterator[Server]:
    chosen = os.environ.get("LEADROUTER_BENCH_POSTGRES_URL")
    if chosen and not _answers(chosen):
        raise BenchError("LEADROUTER_BENCH_POSTGRES_URL names a PostgreSQL server that does not answer")
    if chosen or _answers(LOCAL):
        yield Server(chosen or LOCAL)
        return
    from tests.support.postgres import Cluster, Unavailable

    try:
        cluster = Cluster().start()
    except Unavailable as exc:
        raise BenchError(f"this benchmark needs PostgreSQL: {exc}") from None
    try:
        yield Server(cluster.url)
    finally:
        cluster.stop()


@contextlib.contextmanager
def database(kind: str, folder: Path, name: str) -> Iterator[str]:
    """One installation's database: a SQLite file in ``folder`` (the default install) or a fresh
    PostgreSQL database (the production target)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'{name}.db'}"
        return
    with server() as pg, pg.database() as url:
        yield url


DATABASES = ("sqlite", "postgresql")
