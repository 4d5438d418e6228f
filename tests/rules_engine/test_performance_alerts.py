"""Readiness alerts (alert: owner): the owner of a lead a person owns is told when it becomes
sales-ready, once per crossing; an alert rule never routes."""
from __future__ import annotations

import pytest
from engine_helpers import config, rep, route

from rules_engine import ConfigError, Status, load_config
from rules_engine.alerts import crossed, matching_alerts, readiness

HOT = {"name": "hot", "alert": "owner", "when": {"field": "score", "op": "gte", "value": 80}}


def cfg_with(*rules):
    return load_config(config([rep("ana"), rep("bo")], [*rules, {"name": "all", "to": ["rep:bo"]}]))


def test_an_owned_lead_that_becomes_ready_tells_its_owner_instead_of_routing():
    cfg = cfg_with(HOT)
    d = readiness({"id": "L1", "score": 85}, cfg, owner="ana")
    assert (d.owner, d.rule, d.status) == ("ana", "hot", Status.ALERT)
    assert d.explain()[-1] == "alert: tell ana, the current owner (rule hot); the lead stays theirs"
    assert not d.state_changes
    assert readiness({"id": "L1", "score": 40}, cfg, owner="ana") is None


def test_an_unowned_lead_passes_over_alert_rules_and_is_routed():
    d = route(cfg_with(HOT), {"id": "L1", "score": 95})
    assert (d.owner, d.rule) == ("bo", "all")
    assert "rule hot: alerts the owner of a lead a person owns; this one has none" in d.explain()


def test_the_owner_is_told_once_per_crossing():
    cfg = cfg_with(HOT, {"name": "big", "alert": "owner", "when": {"field": "employees", "op": "gte", "value": 500}})
    seen: tuple[str, ...] = ()
    told = []
    for score in (50, 85, 90, 60, 81):
        now = matching_alerts({"id": "L1", "score": score, "employees": 10}, cfg)
        told.append(sorted(crossed(seen, now)))
        seen = now
    assert told == [[], ["hot"], [], [], ["hot"]]


@pytest.mark.parametrize("rule, path, message", [
    ({"name": "a", "alert": "owner"}, "rules[0].when", "needs a condition"),
    ({**HOT, "to": ["rep:ana"]}, "rules[0].to", "an alert rule only tells its owner"),
    ({**HOT, "pick": "balanced"}, "rules[0].pick", "an alert rule only tells its owner"),
    ({**HOT, "alert": "manager"}, "rules[0].alert", "Input should be 'owner'"),
])
def test_alert_rules_are_checked_at_load(rule, path, message):
    with pytest.raises(ConfigError) as err:
        load_config(config([rep("ana")], [rule]))
    assert any(i.path == path and message in i.message for i in err.value.errors), err.value.errors
