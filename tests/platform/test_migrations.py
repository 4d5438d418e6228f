"""The schema changes only through Alembic, and the migrations build exactly the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from connector.platform import db as db_room
from connector.schema import Base


def test_upgrade_builds_exactly_the_models(db_url):
    db_room.upgrade(db_url)
    engine = db_room.make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert db_room.current_revision(engine) == db_room.head_revision()
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table_and_upgrade_works_again(db_url):
    db_room.upgrade(db_url)
    db_room.downgrade(db_url, "base")
    engine = db_room.make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert db_room.current_revision(engine) is None
    finally:
        engine.dispose()
    db_room.upgrade(db_url)
    engine = db_room.make_engine(db_url)
    try:
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrades_keep_existing_rows(db_url):
    from sqlalchemy import text

    db_room.upgrade(db_url, "0001")
    engine = db_room.make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO assignments (connection, lead_id, lead_summary, status, trace, "
                              "received_at, attempts) VALUES ('hubspot', '42', '{}', 'written', '[]', "
                              "'2026-11-23 10:00:00', 1)"))
        db_room.upgrade(db_url)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT lead_id, status, sla_step FROM assignments")).one()
        assert tuple(row) == ("42", "written", 0)
    finally:
        engine.dispose()
