"""Teams on the page: a new team, members in rotation order (moved without JavaScript too: the
buttons post the form back and nothing is saved until Save), manager and channel, and delete.
Each save is a version; errors are shown at their field."""

from __future__ import annotations

import lxml.html
import yaml

from connector.routing import store as routing_store
from tests.support.web import csrf_of, post


def _teams(db) -> dict[str, dict]:
    return {t["id"]: t for t in yaml.safe_load(routing_store.get_version(db).body)["teams"]}


def _form(client, path: str) -> dict[str, list[str]]:
    page = lxml.html.fromstring(client.get(path).get_data(as_text=True))
    fields: dict[str, list[str]] = {}
    for name, value in page.get_element_by_id("team-editor").form_values():
        fields.setdefault(name, []).append(value)
    return fields


def _members_shown(response) -> list[str]:
    page = lxml.html.fromstring(response.get_data(as_text=True))
    return page.xpath('//ol[@id="members"]/li/input[@name="member"]/@value')


def test_a_new_team_with_a_manager_a_channel_and_a_rotation(manager_client, routing, db):
    response = post(manager_client, "/settings/teams/", {
        "id": "emea", "name": "EMEA", "manager": "lead@example.com", "channel": "#emea-leads",
        "member": ["carla", "ana"], "holidays_country": "ES"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _teams(db)["emea"] == {"id": "emea", "name": "EMEA", "members": ["carla", "ana"],
                                  "manager": "lead@example.com", "channel": "#emea-leads",
                                  "holidays": {"country": "ES"}}
    assert "team emea added" in manager_client.get("/settings/rules/versions/2").get_data(as_text=True)


def test_moving_a_member_without_javascript_reorders_and_saves_on_save(manager_client, routing, db):
    fields = _form(manager_client, "/settings/teams/west")
    assert fields["member"] == ["ana", "bruno", "carla"]
    moved = manager_client.post("/settings/teams/west", data={**fields, "op": "up:carla"})
    assert moved.status_code == 200 and _members_shown(moved) == ["ana", "carla", "bruno"]
    assert routing_store.get_version(db).version == 1   # a move is not a save
    removed = manager_client.post("/settings/teams/west", data={**fields, "member": ["ana", "carla", "bruno"],
                                                                "op": "remove:ana"})
    assert _members_shown(removed) == ["carla", "bruno"]
    saved = manager_client.post("/settings/teams/west", data={**fields, "member": ["carla", "bruno"]})
    assert saved.status_code == 302 and _teams(db)["west"]["members"] == ["carla", "bruno"]


def test_adding_a_rep_to_the_rotation(manager_client, routing, db):
    post(manager_client, "/settings/teams/", {"id": "night", "member": ["bruno"]})
    fields = _form(manager_client, "/settings/teams/night")
    added = manager_client.post("/settings/teams/night", data={**fields, "add_member": "ana", "op": "add"})
    assert _members_shown(added) == ["bruno", "ana"]


def test_a_bad_channel_or_manager_is_shown_at_its_field(manager_client, routing, db):
    fields = _form(manager_client, "/settings/teams/west")
    answer = manager_client.post("/settings/teams/west", data={**fields, "channel": "leads", "manager": "nobody"})
    page = lxml.html.fromstring(answer.get_data(as_text=True))
    assert answer.status_code == 422
    for name in ("channel", "manager"):
        assert page.xpath(f'//input[@name="{name}"]/@aria-invalid') == ["true"]
    assert routing_store.get_version(db).version == 1


def test_a_member_who_is_not_a_rep_is_refused(manager_client, routing, db):
    fields = _form(manager_client, "/settings/teams/west")
    answer = manager_client.post("/settings/teams/west", data={**fields, "member": ["ana", "zed"]})
    assert answer.status_code == 422 and "zed" in answer.get_data(as_text=True)


def test_a_team_a_rule_uses_cannot_be_deleted_an_unused_one_can(manager_client, routing, db):
    refused = post(manager_client, "/settings/teams/west/delete", follow_redirects=True)
    assert "was not deleted" in refused.get_data(as_text=True) and "unknown team" in refused.get_data(as_text=True)
    assert "west" in _teams(db)
    post(manager_client, "/settings/teams/", {"id": "spare", "member": ["ana"]})
    post(manager_client, "/settings/teams/spare/delete")
    assert "spare" not in _teams(db)


def test_the_rotation_is_a_keyboard_usable_list_with_buttons(manager_client, routing):
    page = lxml.html.fromstring(manager_client.get("/settings/teams/west").get_data(as_text=True))
    items = page.xpath('//ol[@id="members"]/li')
    assert [li.get("tabindex") for li in items] == ["0", "0", "0"]
    assert page.xpath('//ol[@id="members"]/li[1]//button[@value="up:ana"]/@disabled') == ["disabled"]
    assert "roster.js" in "".join(page.xpath("//script/@src"))
    assert csrf_of(manager_client, "/settings/teams/west")
