"""Shared rows created by racing jobs: INSERT … ON CONFLICT DO NOTHING, never a UniqueViolation."""

from __future__ import annotations

import threading

import pytest

from connector.platform import db as db_room
from connector.connections.service import connection_row
from connector.connections.models import Connection


@pytest.fixture
def db_url(postgresql_url):
    return postgresql_url


def test_jobs_racing_to_create_the_same_connection_row_both_get_it(db_url):
    db_room.upgrade(db_url)
    database = db_room.Database(db_url)
    errors: list[BaseException] = []
    ids: dict[str, set[int]] = {}
    try:
        for round_ in range(10):
            name = f"env-{round_}"
            barrier = threading.Barrier(6)

            def job() -> None:
                try:
                    barrier.wait()
                    with database.session() as session:
                        row = connection_row(session, name, "hubspot")
                        ids.setdefault(name, set()).add(row.id)
                except BaseException as exc:  # noqa: BLE001 — collected for the assertion
                    errors.append(exc)

            threads = [threading.Thread(target=job) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        assert errors == []
        assert all(len(found) == 1 for found in ids.values()) and len(ids) == 10
        with database.session() as session:
            assert session.query(Connection).count() == 10
    finally:
        database.dispose()
