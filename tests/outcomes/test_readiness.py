"""Readiness alerts (`alert: owner`), the notification side: a lead a person owns is not
reassigned; when it meets an alert rule its owner is told, once per crossing."""

from __future__ import annotations

import yaml
from sqlalchemy import select

from connector.notify.models import Notification
from connector.notify.readiness import remember
from connector.platform.db import get_db
from connector.routing.active import RoutingConfigs
from connector.routing.store import save_version
from rules_engine import dump_config

HOT = {"name": "hot-owned", "when": {"field": "score", "op": "gte", "value": 80}, "alert": "owner",
       "notify": ["email:rep"]}


def _with_alert_rule(routed) -> None:
    db = get_db(routed.app)
    config = dump_config(RoutingConfigs(db).current().config)
    config["rules"] = [HOT, *config["rules"]]
    save_version(db, yaml.safe_dump(config, sort_keys=False), actor="test")


def _owned_contact(routed, owner: str, score: int) -> tuple[str, str]:
    record = routed.control.create_lead("hubspot", first_name="Hot", last_name=f"Lead{score}", company="Owned Co",
                                        email=f"hot{score}@owned.example", owner=owner,
                                        properties={"hubspotscore": str(score)})
    return str(record["id"]), record["properties"]["hubspot_owner_id"]


def test_the_owner_of_a_sales_ready_lead_is_told_and_it_stays_theirs(routed):
    _with_alert_rule(routed)
    (hot, owner), (cold, _) = _owned_contact(routed, "maya", 92), _owned_contact(routed, "maya", 40)
    routed.wait_for_inbox(2)
    assert routed.drain().taken_by_human == 2
    by_lead = {a.lead_id: a for a in routed.assignments()}
    assert by_lead[hot].status == by_lead[cold].status == "taken_by_human"
    with get_db(routed.app).session() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == "ready")).all()
        assert [(r.assignment_id, r.channel, r.payload["rule"], r.payload["rep"]["id"]) for r in rows] == [
            (by_lead[hot].id, "email", "hot-owned", "maya.patel")]
        assert "rule hot-owned" in rows[0].payload["reason"] and rows[0].target.startswith("maya")
    stored = routed.crm.sandbox.vendor("hubspot").crm.store("contacts").records[hot].properties["hubspot_owner_id"]
    assert stored == owner   # the person's owner stays


def test_an_alert_fires_once_per_crossing(routed):
    with get_db(routed.app).session() as session:
        assert remember(session, "hubspot", "1", ("hot",)) == {"hot"}
        assert remember(session, "hubspot", "1", ("hot",)) == frozenset()        # still hot: told once
        assert remember(session, "hubspot", "1", ()) == frozenset()              # cooled down
        assert remember(session, "hubspot", "1", ("hot", "vip")) == {"hot", "vip"}   # crossed back
