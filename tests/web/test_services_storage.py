"""The service layer on both engines (SQLite and PostgreSQL): the queries the pages rely on."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from connector.routing import store as routing_store
from connector.pipeline.models import Assignment, InboxEvent
from connector.pipeline import leads
from connector.routing import roster
from connector.web import stats, users
from connector.routing import rules as rules_service
from tests.support.web import ROUTING

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def test_rules_roster_log_and_retry_work_on_both_engines(database):
    routing_store.save_version(database, ROUTING, actor="t")
    version = rules_service.save_rule(database, None, {"name": "vip", "to": ["rep:ana"]}, actor="m@x.io",
                                      base_version=1)
    assert version == 2 and rules_service.diff(database, 2)["summary"] == ["rule vip added"]
    assert roster.set_paused(database, "ana", True, actor="m@x.io", reason="away")["paused"]
    with database.session() as session:
        session.add(Assignment(connection="hubspot", lead_id="L9", status="dead", rep_id="ana", rule="vip",
                               received_at=NOW, lead_summary={"name": "Zoë Ünicode", "company": "Acme"}))
    rows, total = leads.search(database, leads.LogFilter(q="zoë", status="dead"))
    assert total == 1 and rows[0].lead_id == "L9"
    leads.retry(database, rows[0].id, actor="m@x.io", now=NOW)
    with database.session() as session:
        assert session.query(InboxEvent).one().status == "pending"
    assert stats.dashboard(database, 30, now=NOW)["total"] == 1


def test_login_lockout_is_kept_on_both_engines(database):
    user = users.create_user(database, "a@x.io", "long password!", "admin", actor="t")
    for _ in range(users.MAX_FAILURES):
        with pytest.raises(users.LoginRefused):
            users.authenticate(database, "a@x.io", "wrong")
    with pytest.raises(users.LoginRefused, match="locked"):
        users.authenticate(database, "a@x.io", "long password!")
    token = users.create_token(database, user, "ci")
    assert users.principal_for_token(database, token) == user
