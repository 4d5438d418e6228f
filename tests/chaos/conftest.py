"""Fixtures of the chaos suite: a throwaway PostgreSQL cluster of its own (the suite restarts it;
the machine's server is never touched), the acceptance suite's SMTP server and sandbox fixtures,
and ``CHAOS_SCALE`` (1 in ``make test``; ``CHAOS_SCALE=10`` for the big day)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from tests.acceptance.conftest import smtp  # noqa: F401 — the fixture, reused


@pytest.fixture(scope="session")
def chaos_scale() -> int:
    value = os.environ.get("CHAOS_SCALE", "1")
    if not value.isdigit() or int(value) < 1:
        pytest.fail(f"CHAOS_SCALE must be a whole number of 1 or more, not {value!r}")
    return int(value)


@pytest.fixture
def own_postgres():
    """(cluster, database URL): a cluster started for this test alone, deleted afterwards."""
    from tests.support.postgres import Cluster, Unavailable

    try:
        cluster = Cluster().start()
    except Unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the chaos suite needs a PostgreSQL server of its own and none could be started: {exc}")
        pytest.skip(f"PostgreSQL case skipped: {exc}")
    try:
        admin = create_engine(cluster.url.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "chaos"'))
        admin.dispose()
        yield cluster, f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/chaos"
    finally:
        cluster.stop()
