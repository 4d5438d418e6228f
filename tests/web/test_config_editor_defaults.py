"""The Defaults page and a rule's own notifications: every choice from the engine's vocabulary,
each save a version with its diff, each error at its field and nothing saved."""

from __future__ import annotations

import lxml.html
import pytest
import yaml

from connector.routing import store as routing_store
from rules_engine import describe_vocabulary


def _config(db) -> dict:
    return yaml.safe_load(routing_store.get_version(db).body)


def _form(client, path: str, form_id: str) -> dict[str, list[str]]:
    page = lxml.html.fromstring(client.get(path).get_data(as_text=True))
    fields: dict[str, list[str]] = {}
    for name, value in page.get_element_by_id(form_id).form_values():
        fields.setdefault(name, []).append(value)
    return fields


def _errors(response) -> dict[str, str]:
    """field name -> its error text, for each field marked invalid."""
    page = lxml.html.fromstring(response.get_data(as_text=True))
    marked = {box.get("name") for box in page.xpath('//*[@aria-invalid="true"]')}
    return {name: " ".join(e.text_content() for e in page.xpath('//p[@class="field-error"]')) for name in marked}


def test_the_defaults_page_offers_the_vocabularys_choices(manager_client, routing):
    page = lxml.html.fromstring(manager_client.get("/settings/rules/defaults").get_data(as_text=True))
    vocab = describe_vocabulary()
    assert set(page.xpath('//input[@name="quality_check"]/@value')) == {c["name"] for c in vocab["quality"]["checks"]}
    assert {s["name"] for s in vocab["sla_ladder"]} <= set(page.xpath('//select[@name="sla_ladder"][1]/option/@value'))
    assert set(page.xpath('//input[@name="notify_target"]/@value')) == \
        {t["pattern"] for t in vocab["notify_targets"] if "<" not in t["pattern"]}
    assert {"none", "team:west", "rep:ana"} <= set(page.xpath('//select[@name="fallback"]/option/@value'))
    assert "rep:carla" in page.xpath('//select[@name="fallback"]/option[@selected]/@value')


def test_saving_the_defaults_makes_a_version_with_every_section(manager_client, routing, db):
    fields = _form(manager_client, "/settings/rules/defaults", "defaults-editor")
    fields.update(notify_mode=["own"], notify_target=["slack:rep", "email:rep"], notify_extra=["slack:#sales"],
                  sla_mode=["own"], sla_minutes=["20"], sla_every=["10"], sla_ladder=["remind", "escalate", ""], sla_escalate_to=["email:head@example.com"],
                  auto_pause=["3"], digest_on=["1"], digest_at=["07:30"], digest_to=["slack:#sales"],
                  quality_on=["1"], quality_check=["invalid_email", "test_values"], quality_action=["team:west"],
                  fallback=["none"], timezone=["Europe/Madrid"])
    response = manager_client.post("/settings/rules/defaults", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    config = _config(db)
    assert config["notify"] == ["slack:rep", "email:rep", "slack:#sales"]
    assert config["sla"] == {"minutes": 20, "ladder": ["remind", "escalate"], "every": 10,
                             "escalate_to": ["email:head@example.com"]}
    assert config["auto_pause"] == {"after_breaches": 3} and config["digest"] == {"at": "07:30", "to": ["slack:#sales"]}
    assert config["quality"] == {"invalid_email": True, "disposable_email": False, "test_values": True,
                                 "invalid_phone": False, "action": "team:west"}
    assert "fallback" not in config and config["timezone"] == "Europe/Madrid"
    version = manager_client.get("/settings/rules/versions/2").get_data(as_text=True)
    assert "sla changed" in version and "quality changed" in version and "edited the defaults" in version


def test_switching_sections_off_removes_them(manager_client, routing, db):
    config = _config(db)
    routing_store.save_version(db, yaml.safe_dump({**config, "digest": {"to": ["email:boss@example.com"]}, "auto_pause": {
        "after_breaches": 2}, "quality": {"action": "hold"}}), actor="test")
    fields = _form(manager_client, "/settings/rules/defaults", "defaults-editor")
    fields.pop("digest_on")
    fields.pop("quality_on")
    fields["auto_pause"] = [""]
    assert manager_client.post("/settings/rules/defaults", data=fields).status_code == 302
    assert not {"digest", "auto_pause", "quality"} & set(_config(db))


@pytest.mark.parametrize("change,field,message", [
    ({"digest_on": ["1"], "digest_at": ["25:00"]}, "digest_at", "should match pattern"),
    ({"sla_mode": ["own"], "sla_minutes": ["soon"]}, "sla_minutes", "valid integer"),
    ({"notify_mode": ["own"], "notify_extra": ["pigeon:rep"]}, "notify_extra", "bad notify target"),
    ({"quality_on": ["1"], "quality_action": ["rep:nobody"]}, "", "nobody"),
    ({"auto_pause": ["0"]}, "auto_pause", "greater than or equal to 1"),
    ({"timezone": ["Mars/Olympus"]}, "timezone", "unknown time zone"),
])
def test_a_bad_default_is_shown_at_its_field_and_nothing_is_saved(manager_client, routing, db, change, field, message):
    fields = {**_form(manager_client, "/settings/rules/defaults", "defaults-editor"), **change}
    response = manager_client.post("/settings/rules/defaults", data=fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    if field:
        assert field in _errors(response), _errors(response)
    assert routing_store.get_version(db).version == 1


def test_a_rule_gets_its_own_notifications_and_a_bad_target_is_shown_there(manager_client, routing, db):
    fields = _form(manager_client, "/settings/rules/2/edit", "rule-editor")
    bad = manager_client.post("/settings/rules/2/edit", data={**fields, "notify_mode": ["own"],
                                                              "notify_extra": ["slack:general"]})
    assert bad.status_code == 422 and "notify_extra" in _errors(bad)
    good = manager_client.post("/settings/rules/2/edit", data={**fields, "notify_mode": ["own"],
                                                               "notify_target": ["slack:rep", "email:rep"]})
    assert good.status_code == 302
    assert _config(db)["rules"][2]["notify"] == ["slack:rep", "email:rep"]
    fields = _form(manager_client, "/settings/rules/2/edit", "rule-editor")   # the form of the new version
    assert fields["notify_mode"] == ["own"] and fields["notify_target"] == ["slack:rep", "email:rep"]
    inherit = manager_client.post("/settings/rules/2/edit", data={**fields, "notify_mode": ["inherit"]})
    assert inherit.status_code == 302 and "notify" not in _config(db)["rules"][2]


def test_the_account_owner_rules_match_evidence_and_threshold(manager_client, routing, db):
    fields = _form(manager_client, "/settings/rules/0/edit", "rule-editor")
    assert fields["assign"] == ["account_owner"] and fields["match"] == ["domain"]
    response = manager_client.post("/settings/rules/0/edit", data={**fields, "match": ["domain", "company"],
                                                                   "threshold": ["92"]})
    assert response.status_code == 302
    rule = _config(db)["rules"][0]
    assert rule == {"name": "existing-customer", "assign": "account_owner", "match": ["domain", "company"],
                    "threshold": 92}
    fields = _form(manager_client, "/settings/rules/0/edit", "rule-editor")
    too_low = manager_client.post("/settings/rules/0/edit", data={**fields, "threshold": ["10"]})
    assert too_low.status_code == 422 and "threshold" in _errors(too_low)
