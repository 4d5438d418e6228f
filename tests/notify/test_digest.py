"""The daily digest per team: routed, speed to lead, breaches, accepted; once a day, after `at`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from connector.pipeline.models import Assignment
from connector.notify.models import Notification
from connector.notify.digest import send_due
from connector.notify.sla import check_sla
from connector.routing.active import RoutingConfigs


def test_the_team_gets_yesterdays_figures_once_after_the_digest_time(kit):
    settings = kit.app.config["LEADROUTER_SETTINGS"]
    kit.written("maya", lead_id="00Q5g00000AAAAAA")
    accepted = kit.written("liam", lead_id="00Q5g00000BBBBBB")
    with kit.db.session() as session:   # liam calls 45 s after the lead arrived; maya never does
        row = session.get(Assignment, accepted)
        row.accepted_at, row.first_touch_at = kit.now(), row.received_at + timedelta(seconds=45)
    kit.advance(0.5)
    kit.deliver()
    kit.advance(15)
    check_sla(kit.db, RoutingConfigs(kit.db), kit.now(), settings=settings)

    kit.sandbox.clock.set(datetime(2026, 11, 24, 7, 59, tzinfo=timezone.utc))
    assert send_due(kit.db, RoutingConfigs(kit.db), kit.now(), settings=settings) == []
    kit.advance(2)
    assert send_due(kit.db, RoutingConfigs(kit.db), kit.now(), settings=settings) == ["inbound"]
    assert send_due(kit.db, RoutingConfigs(kit.db), kit.now(), settings=settings) == []  # once a day
    with kit.db.session() as session:
        rows = [(n.channel, n.target)
                for n in session.scalars(select(Notification).where(Notification.kind == "digest"))]
    assert rows == [("slack", "#leads"), ("email", "boss@demo.leadrouter.dev")]
    kit.deliver()
    [digest] = [m for m in kit.messages() if m["message"]["text"].startswith("Daily lead routing digest")]
    assert digest["channel"] == "C0LEADS01"
    text = digest["message"]["blocks"][0]["text"]["text"]
    assert "*Inbound Sales*, 2026-11-23: 2 leads routed, median speed to lead 45 s, 1 SLA breaches, 1 accepted." in text
    assert "• Maya Patel: 1 routed, 1 breaches" in text
