"""The models behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connector.platform.keys import SecretBox
from connector.pipeline.models import Assignment, AssignmentEvent, InboxEvent, LeadStatus
from connector.connections.models import Connection


def test_times_come_back_aware_and_in_utc(database):
    sao_paulo = timezone(timedelta(hours=-3))
    received = datetime(2026, 3, 8, 6, 30, tzinfo=sao_paulo)
    with database.session() as session:
        row = Assignment(connection="hubspot", lead_id="1", status=LeadStatus.RECEIVED.value, received_at=received)
        session.add(row)
    with database.session() as session:
        stored = session.scalars(select(Assignment)).one()
        assert stored.received_at == received
        assert stored.received_at.utcoffset() == timedelta(0)
        assert stored.received_at.hour == 9


def test_naive_datetimes_are_refused(database):
    with pytest.raises(Exception, match="naive datetime"):
        with database.session() as session:
            session.add(Assignment(connection="hubspot", lead_id="1", status="received",
                                   received_at=datetime(2026, 1, 1)))


def test_inbox_holds_one_row_per_connection_and_lead(database):
    with database.session() as session:
        session.add(InboxEvent(connection="hubspot", lead_id="42", source="webhook"))
    with pytest.raises(IntegrityError):
        with database.session() as session:
            session.add(InboxEvent(connection="hubspot", lead_id="42", source="poll"))
    with database.session() as session:  # the same lead id in another connection is another lead
        session.add(InboxEvent(connection="salesforce", lead_id="42", source="poll"))
        assert len(session.scalars(select(InboxEvent)).all()) == 2


def test_assignment_events_go_with_their_assignment(database):
    with database.session() as session:
        row = Assignment(connection="hubspot", lead_id="7", status="written", trace=[{"rule": "r", "why": "x"}])
        session.add(row)
        session.flush()
        session.add(AssignmentEvent(assignment_id=row.id, status="decided", detail={"rule": "r"}))
        session.add(AssignmentEvent(assignment_id=row.id, status="written"))
    with database.session() as session:
        session.delete(session.scalars(select(Assignment)).one())
    with database.session() as session:
        assert session.scalars(select(AssignmentEvent)).all() == []


def test_connection_secrets_are_stored_encrypted(database):
    box = SecretBox("kA3y0Vn2x7mZ5b8Qe1tLr4uWc6pHs9dJf0gNi2oKvXE=")
    with database.session() as session:
        session.add(Connection(name="hubspot", kind="hubspot", settings={"portal": 1},
                               secrets=box.encrypt('{"token": "pat-na1-secret-value"}')))
    with database.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT secrets FROM connections").scalar_one()
    assert "pat-na1-secret-value" not in raw
    assert box.decrypt(raw) == '{"token": "pat-na1-secret-value"}'
