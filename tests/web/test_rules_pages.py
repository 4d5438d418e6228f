"""The rules list, the rule editor, versions, rollback, import and export."""

from __future__ import annotations

import yaml

from connector.routing import store as routing_store
from connector.platform.models import AuditLog
from tests.support.web import ROUTING, post

TWO_CONDITIONS = {
    "name": "spanish-enterprise", "enabled": "1", "mode": "all",
    "cond_field": ["country", "employees", ""], "cond_op": ["in", "gte", "eq"], "cond_value": ["ES, MX", "500", ""],
    "to": "team:west", "pick": "weighted", "on_empty": "next", "require_skills": "spanish",
}


def _active(db) -> dict:
    return yaml.safe_load(routing_store.get_version(db).body)


def test_the_rules_list_shows_rules_in_order(manager_client, routing):
    page = manager_client.get("/settings/rules/").get_data(as_text=True)
    assert page.index("existing-customer") < page.index("big-aerospace") < page.index("everyone-else")
    assert "version 1" in page


def test_the_editor_offers_the_engines_vocabulary(manager_client, routing):
    from rules_engine import describe_vocabulary

    page = manager_client.get("/settings/rules/new").get_data(as_text=True)
    vocab = describe_vocabulary()
    for op in vocab["operators"]:
        assert f'value="{op["name"]}"' in page
    for picker in vocab["pickers"]:
        assert f'value="{picker["name"]}"' in page
    assert 'value="annual_revenue"' in page


def test_adding_a_rule_with_two_conditions_saves_a_new_version(manager_client, routing, db):
    response = post(manager_client, "/settings/rules/new", {**TWO_CONDITIONS, "base_version": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    rule = _active(db)["rules"][-1]
    assert rule == {"name": "spanish-enterprise",
                    "when": {"all": [{"field": "country", "op": "in", "value": ["ES", "MX"]},
                                     {"field": "employees", "op": "gte", "value": 500}]},
                    "to": ["team:west"], "pick": "weighted", "require": [{"skills": ["spanish"]}]}
    version = routing_store.get_version(db)
    assert version.version == 2 and version.created_by == "manager@example.com"
    with db.session() as session:
        entry = session.query(AuditLog).filter_by(action="rule.create").one()
        assert entry.detail["changes"] == ["rule spanish-enterprise added"]


def test_a_bad_regex_is_shown_next_to_its_condition_and_nothing_is_saved(manager_client, routing, db):
    data = {**TWO_CONDITIONS, "cond_field": ["country", "email", ""], "cond_op": ["in", "matches", "eq"],
            "cond_value": ["ES", "(a+)+$", ""]}
    response = post(manager_client, "/settings/rules/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    row = page[page.index('data-row="1"'):page.index('data-row="2"')]
    assert "field-error" in row and "nested quantifier" in row.lower()
    assert 'value="(a+)+$"' in page  # what the user typed is kept
    assert routing_store.get_version(db).version == 1


def test_editing_a_rule_keeps_its_place(manager_client, routing, db):
    form = manager_client.get("/settings/rules/2/edit").get_data(as_text=True)
    assert 'value="everyone-else"' in form
    response = post(manager_client, "/settings/rules/2/edit",
                    {"name": "everyone-else", "enabled": "1", "mode": "all", "to": "team:west", "pick": "least_loaded",
                     "on_empty": "wait", "cond_field": [""], "cond_op": ["eq"], "cond_value": [""]})
    assert response.status_code == 302
    rules = _active(db)["rules"]
    assert [r["name"] for r in rules] == ["existing-customer", "big-aerospace", "everyone-else"]
    assert rules[2]["pick"] == "least_loaded" and rules[2]["on_empty"] == "wait"


def test_an_edit_based_on_an_old_version_is_refused(manager_client, routing, db):
    routing_store.save_version(db, ROUTING.replace("pick: weighted", "pick: random"), actor="someone@else")
    response = post(manager_client, "/settings/rules/new", {**TWO_CONDITIONS, "base_version": "1"})
    assert response.status_code == 422
    assert "while you were editing" in response.get_data(as_text=True)
    assert routing_store.get_version(db).version == 2


def test_a_nested_condition_is_edited_as_yaml_and_kept(manager_client, db):
    routing_store.save_version(db, ROUTING.replace(
        "        - {field: employees, op: gte, value: 1000}",
        "        - any: [{field: employees, op: gte, value: 1000}, {field: score, op: gt, value: 90}]"), actor="t")
    form = manager_client.get("/settings/rules/1/edit").get_data(as_text=True)
    assert 'name="nested"' in form
    nested = _active(db)["rules"][1]["when"]
    response = post(manager_client, "/settings/rules/1/edit",
                    {"name": "big-aerospace", "enabled": "1", "nested": yaml.safe_dump(nested), "to": "team:west",
                     "pick": "round_robin", "on_empty": "next", "require": "territory"})
    assert response.status_code == 302
    assert _active(db)["rules"][1]["when"] == nested


def test_arrows_move_a_rule_and_save_a_version(manager_client, routing, db):
    response = post(manager_client, "/settings/rules/2/move", {"direction": "up"})
    assert response.status_code == 302
    assert [r["name"] for r in _active(db)["rules"]] == ["existing-customer", "everyone-else", "big-aerospace"]
    assert routing_store.get_version(db).comment == "moved rule everyone-else up"


def test_drag_and_drop_order_is_saved(manager_client, routing, db):
    response = post(manager_client, "/settings/rules/order",
                    {"name": ["everyone-else", "existing-customer", "big-aerospace"]})
    assert response.status_code == 302
    assert [r["name"] for r in _active(db)["rules"]] == ["everyone-else", "existing-customer", "big-aerospace"]


def test_deleting_a_rule(manager_client, routing, db):
    post(manager_client, "/settings/rules/0/delete")
    assert [r["name"] for r in _active(db)["rules"]] == ["big-aerospace", "everyone-else"]


def test_a_version_shows_who_when_and_the_diff(manager_client, routing, db):
    post(manager_client, "/settings/rules/2/move", {"direction": "up"})
    page = manager_client.get("/settings/rules/versions/2").get_data(as_text=True)
    assert "manager@example.com" in page and "rules reordered" in page
    assert 'class="add">+  - name: everyone-else' in page or "+- name: everyone-else" in page


def test_rollback_makes_an_old_version_active_as_a_new_one(manager_client, routing, db):
    post(manager_client, "/settings/rules/0/delete")
    response = post(manager_client, "/settings/rules/versions/1/rollback")
    assert response.status_code == 302
    active = routing_store.get_version(db)
    assert active.version == 3 and active.body == ROUTING and active.comment == "rolled back to version 1"
    with db.session() as session:
        assert session.query(AuditLog).filter_by(action="routing_config.rollback").one().actor == "manager@example.com"


def test_export_downloads_the_stored_text(manager_client, routing):
    response = manager_client.get("/settings/rules/export")
    assert response.get_data(as_text=True) == ROUTING
    assert "routing-v1.yaml" in response.headers["Content-Disposition"]


def test_import_reports_every_engine_error_and_saves_nothing(manager_client, routing, db):
    bad = ROUTING.replace("pick: weighted", "pick: fastest").replace("op: gte", "op: bigger")
    response = post(manager_client, "/settings/rules/import", {"text": bad})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "rules[1].pick" in page and "bigger" in page
    assert routing_store.get_version(db).version == 1
    good = post(manager_client, "/settings/rules/import", {"text": ROUTING.replace("pick: weighted", "pick: random")})
    assert good.status_code == 302 and routing_store.get_version(db).version == 2
