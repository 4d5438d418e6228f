"""Validation at load: one error per problem, with its path; export round-trips."""
from __future__ import annotations

import json

import pytest
import yaml
from engine_helpers import config, rep

from rules_engine import ConfigError, dump_config, load_config


def errors(data) -> dict[str, str]:
    with pytest.raises(ConfigError) as exc:
        load_config(data)
    return {e.path: e.message for e in exc.value.errors}


def test_the_documented_example_loads_from_yaml_text(example_config_text):
    cfg = load_config(example_config_text)
    assert [r.name for r in cfg.rules] == ["existing-customer", "big-aerospace", "everyone-else"]
    assert cfg.rep("ana").weight == 2
    assert cfg.crm_owner_id("ana", "hubspot") == "101"
    assert cfg.rep_for_owner("salesforce", "0055g00000BbCdEAAV") == "bruno"


def test_json_text_loads_too(example_config_text):
    data = yaml.safe_load(example_config_text)
    assert load_config(json.dumps(data)) == load_config(data)


def test_export_round_trips(example_config_text):
    cfg = load_config(example_config_text)
    exported = dump_config(cfg)
    assert load_config(exported) == cfg
    assert load_config(yaml.safe_dump(exported)) == cfg


def test_a_bad_operator_is_reported_with_its_path():
    data = config([rep("ana")], [
        {"name": "a", "to": "rep:ana"}, {"name": "b", "to": "rep:ana"},
        {"name": "c", "to": "rep:ana", "when": {"all": [{"field": "industry", "op": "equals", "value": "x"}]}}])
    found = errors(data)
    assert list(found) == ["rules[2].when.all[0].op"]
    assert "unknown operator 'equals'" in found["rules[2].when.all[0].op"]


def test_every_problem_is_reported_at_once():
    data = {
        "version": 1, "timezone": "Mars/Olympus", "colour": "blue",
        "reps": [{"id": "ana", "timezone": "Nowhere/City", "hours": {"mon-fri": "9-18"}, "wieght": 2},
                 {"id": "ana"}, {"id": "Bad Id"}],
        "teams": [{"id": "west", "members": ["ana", "zed"]}, {"id": "west", "members": []}],
        "rules": [{"name": "r1", "to": "team:east", "pick": "fastest"},
                  {"name": "r1", "to": "rep:ghost", "when": {"field": "nope", "op": "eq", "value": 1}},
                  {"name": "r3"}],
        "fallback": "rep:nobody",
    }
    found = errors(data)
    expected = {
        "timezone", "colour", "reps[0].timezone", "reps[0].hours", "reps[0].wieght", "reps[1].id", "reps[2].id",
        "teams[0].members[1]", "teams[1].id", "rules[0].to", "rules[0].pick", "rules[1].name",
        "rules[1].to", "rules[1].when.field", "rules[2]", "fallback",
    }
    assert expected <= set(found), set(found) ^ expected
    assert "unknown time zone 'Mars/Olympus'" in found["timezone"]
    assert "unknown key 'colour'" == found["colour"]
    assert "duplicate rep id 'ana'" == found["reps[1].id"]
    assert "unknown rep 'zed'" == found["teams[0].members[1]"]
    assert "unknown team 'east'" == found["rules[0].to"]
    assert "HH:MM-HH:MM" in found["reps[0].hours"]


@pytest.mark.parametrize("hours,bad", [
    ({"mon-fri": "09:00-18:00"}, False), ({"mon-fri": "09:00-12:00, 13:00-18:00"}, False),
    ({"sat": "22:00-02:00"}, False), ({"daily": "00:00-24:00"}, False),
    ({"funday": "09:00-18:00"}, True), ({"mon": "25:00-26:00"}, True), ({"mon": "09:00-09:00"}, True),
])
def test_hours_are_validated(hours, bad):
    data = config([rep("ana", hours=hours)], [{"name": "r", "to": "rep:ana"}])
    if bad:
        assert "reps[0].hours" in errors(data)
    else:
        load_config(data)


def test_bad_requirements_conditions_and_values_have_paths():
    data = config([rep("ana")], [{"name": "r", "to": "rep:ana", "require": ["telepathy", {"skills": "x"}],
                                  "when": {"any": [{"field": "employees", "op": "gte", "value": "many"},
                                                   {"field": "industry", "op": "in", "value": []},
                                                   {"not": {"field": "title", "op": "exists", "value": 1}},
                                                   {"all": []}]}}])
    found = errors(data)
    assert {"rules[0].require[0]", "rules[0].require[1].skills", "rules[0].when.any[0].value",
            "rules[0].when.any[1].value", "rules[0].when.any[2].not.value", "rules[0].when.any[3].all"} <= set(found)


def test_a_rule_cannot_both_assign_account_owner_and_target_a_team():
    data = config([rep("ana")], [{"name": "r", "assign": "account_owner", "to": "rep:ana"}])
    assert "rules[0].to" in errors(data)


def test_unparseable_text_is_a_config_error():
    with pytest.raises(ConfigError) as exc:
        load_config("reps: [unclosed")
    assert "not valid YAML" in exc.value.errors[0].message


def test_territory_countries_and_away_ranges_are_checked():
    data = config([rep("ana", territories=[{"country": "Atlantis"}], away=[{"from": "2026-05-02", "to": "2026-05-01"}])],
                  [{"name": "r", "to": "rep:ana"}])
    found = errors(data)
    assert "reps[0].territories[0].country" in found
    assert "reps[0].away[0]" in found


def test_fallback_none_means_no_fallback():
    cfg = load_config(config([rep("ana")], [{"name": "r", "to": "rep:ana"}], fallback="none"))
    assert cfg.fallback is None
