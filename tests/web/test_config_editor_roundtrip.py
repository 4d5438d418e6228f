"""Saving any editor unchanged is a no-op, for every documented config example.

Every ```yaml block of README.md and docs/*.md that is a routing config (or a part of one, laid
over the complete example) or a rule is stored, then each of its rules, reps and teams, and its
defaults, is opened in its editor and posted back exactly as a browser would submit the rendered
form (lxml's form values), by a signed-in user with the page's CSRF token. The stored config must
equal the original, with no new version. Then one field is changed and every other key must survive.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
import yaml

from connector.routing import store as routing_store

ROOT = Path(__file__).resolve().parent.parent.parent
BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)


def _documented_blocks() -> list[tuple[str, str]]:
    blocks = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append((f"{path.relative_to(ROOT)}:{line}", match.group(1)))
    return blocks


def _valid(data) -> bool:
    return isinstance(data, dict) and not routing_store.validate_text(yaml.safe_dump(data))


def _is_rule(item) -> bool:
    return isinstance(item, dict) and "name" in item and bool({"to", "assign", "when"} & set(item))


def _configs() -> list[tuple[str, dict]]:
    """(where, config) per documented block that is a routing config or a rule."""
    blocks = [(where, yaml.safe_load(text)) for where, text in _documented_blocks()]
    # The fullest valid example (docs/routing-config.md's): the others are laid over it.
    complete = max((data for _, data in blocks if _valid(data) and data.get("rules")),
                   key=lambda data: len(yaml.safe_dump(data)))
    out = []
    for where, data in blocks:
        if isinstance(data, list) and data and all(_is_rule(r) for r in data):
            data = {**complete, "rules": [*complete["rules"], *data]}
        elif _is_rule(data) and "rules" not in data:
            data = {**complete, "rules": [*complete["rules"], data]}
        elif isinstance(data, dict) and {"rules", "reps", "teams"} & set(data):
            if not _valid(data):
                data = {**complete, **data}  # a part of a config (teams, notify, sla, …) over the example
        else:
            continue
        assert _valid(data), f"{where}: the documented example is not a valid routing config"
        out.append((where, data))
    return out


CONFIGS = _configs()


def test_the_documentation_has_config_examples_with_notify_and_sla():
    assert len(CONFIGS) >= 2
    rules = [rule for _, config in CONFIGS for rule in config.get("rules", [])]
    assert any("notify" in rule for rule in rules) and any("sla" in rule for rule in rules)


def _browser_post(client, path: str, change=None, form_id: str = "rule-editor"):
    """GET the editor, submit its form as a browser would (optionally changing fields)."""
    page = client.get(path)
    assert page.status_code == 200, path
    form = lxml.html.fromstring(page.get_data(as_text=True)).get_element_by_id(form_id)
    fields = {}
    for name, value in form.form_values():
        fields.setdefault(name, []).append(value)
    if change:
        fields.update(change)
    return client.post(path, data=fields)


def _editors(config: dict) -> list[tuple[str, str]]:
    """(path, form id) of every editor of this config."""
    return ([(f"/settings/rules/{i}/edit", "rule-editor") for i in range(len(config.get("rules") or []))]
            + [(f"/settings/roster/{rep['id']}", "rep-editor") for rep in config.get("reps") or []]
            + [(f"/settings/teams/{team['id']}", "team-editor") for team in config.get("teams") or []]
            + [("/settings/rules/defaults", "defaults-editor")])


@pytest.mark.parametrize("where,config", CONFIGS, ids=[where for where, _ in CONFIGS])
def test_saving_every_documented_part_unchanged_stores_the_same_config(manager_client, db, where, config):
    text = yaml.safe_dump(config, sort_keys=False)
    number = routing_store.save_version(db, text, actor="test")
    for path, form_id in _editors(config):
        response = _browser_post(manager_client, path, form_id=form_id)
        assert response.status_code == 302, (path, response.get_data(as_text=True))
        assert yaml.safe_load(routing_store.get_version(db).body) == config, path
    stored = routing_store.get_version(db)
    assert yaml.safe_load(stored.body) == config
    assert stored.version == number


def test_changing_one_field_keeps_the_rules_notify_and_sla(manager_client, db):
    where, config = next((w, c) for w, c in CONFIGS if any("sla" in r and "notify" in r for r in c.get("rules", [])))
    index, rule = next((i, r) for i, r in enumerate(config["rules"]) if "sla" in r and "notify" in r)
    routing_store.save_version(db, yaml.safe_dump(config, sort_keys=False), actor="test")
    page = lxml.html.fromstring(manager_client.get(f"/settings/rules/{index}/edit").get_data(as_text=True))
    shown = dict(page.get_element_by_id("rule-editor").form_values())
    assert shown["sla_mode"] == "own" and shown["sla_minutes"] == str(rule["sla"]["minutes"])  # its own SLA, shown
    response = _browser_post(manager_client, f"/settings/rules/{index}/edit", {"pick": ["least_loaded"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = yaml.safe_load(routing_store.get_version(db).body)["rules"][index]
    assert saved == {**rule, "pick": "least_loaded"}
