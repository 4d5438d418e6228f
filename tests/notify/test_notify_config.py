"""The routing config's notify, sla, team manager/channel, auto_pause and digest: validated at
load with paths, exported, ignored by decide()."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from rules_engine import ConfigError, InMemoryState, Lead, decide, describe_vocabulary, dump_config, load_config

BASE = {
    "reps": [{"id": "ana", "email": "ana@example.com"}, {"id": "bo", "email": "bo@example.com"}],
    "teams": [{"id": "west", "members": ["ana", "bo"], "manager": "boss@example.com", "channel": "#inbound-leads"}],
    "rules": [{"name": "all", "to": "team:west",
               "notify": ["slack:rep", "slack:#inbound-leads", "email:rep", "email:manager"],
               "sla": {"minutes": 15, "ladder": ["remind", "reroute", "escalate"]}}],
    "auto_pause": {"after_breaches": 3},
    "digest": {"at": "08:30"},
}


def _errors(data) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        load_config(data)
    return {issue.path: issue.message for issue in caught.value.errors}


def test_the_issue_s_notify_list_and_an_sla_ladder_load_and_round_trip():
    config = load_config(BASE)
    assert config.notify_for("all") == ["slack:rep", "slack:#inbound-leads", "email:rep", "email:manager"]
    sla = config.sla_for("all")
    assert (sla.minutes, sla.ladder, sla.step_minutes) == (15, ["remind", "reroute", "escalate"], 15)
    assert config.auto_pause.after_breaches == 3 and config.digest.at == "08:30"
    assert load_config(dump_config(config)) == config


def test_every_bad_notify_setting_is_reported_with_its_path():
    data = {**BASE, "teams": [{"id": "west", "members": ["ana", "bo"], "manager": "not-an-email",
                               "channel": "leads with spaces"}],
            "rules": [{"name": "all", "to": "rep:ana", "notify": ["slack:rep", "sms:rep", "slack:#Bad Name"],
                       "sla": {"minutes": 0, "ladder": ["remind", "nag"], "escalate_to": ["email:boss"]}}],
            "auto_pause": {"after_breaches": 0}, "digest": {"at": "25:00"}}
    found = _errors(data)
    assert set(found) == {"teams[0].manager", "teams[0].channel", "rules[0].notify[1]", "rules[0].notify[2]",
                          "rules[0].sla.minutes", "rules[0].sla.ladder[1]", "rules[0].sla.escalate_to[0]",
                          "auto_pause.after_breaches", "digest.at"}
    assert found["rules[0].notify[1]"].startswith("bad notify target 'sms:rep'")


def test_manager_and_team_channel_targets_need_a_team_of_the_rule_that_has_one():
    data = {**BASE, "teams": [{"id": "west", "members": ["ana"]}, {"id": "east", "members": ["bo"],
                                                                  "manager": "boss@example.com"}],
            "rules": [{"name": "west-only", "to": "team:west", "notify": ["email:manager", "slack:team"],
                       "sla": {"minutes": 5, "ladder": ["escalate"]}},
                      {"name": "bo", "to": "rep:bo", "notify": ["email:manager"]}]}
    found = _errors(data)
    assert found == {"rules[0].notify[0]": "email:manager: no team of this rule has a manager",
                     "rules[0].notify[1]": "slack:team: no team of this rule has a channel",
                     "rules[0].sla.ladder[0]": "no team of this rule has a manager or a channel to tell"}


def test_decide_ignores_the_notification_settings():
    now = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    plain = load_config({key: value for key, value in BASE.items() if key not in ("auto_pause", "digest")}
                        | {"rules": [{"name": "all", "to": "team:west"}]})
    lead = Lead(id="L1", email="x@acme.com")
    with_notify = decide(lead, load_config(BASE), InMemoryState(), now)
    assert (with_notify.owner, with_notify.trace) == (decide(lead, plain, InMemoryState(), now).owner,
                                                      decide(lead, plain, InMemoryState(), now).trace)


def test_the_vocabulary_lists_notify_targets_and_ladder_steps():
    vocabulary = describe_vocabulary()
    assert {"slack:rep", "slack:#<channel>", "email:manager"} <= {t["pattern"] for t in vocabulary["notify_targets"]}
    assert [s["name"] for s in vocabulary["sla_ladder"]] == ["remind", "reroute", "escalate"]


def test_a_digest_needs_a_team_with_a_channel_or_a_manager():
    data = {**BASE, "teams": [{"id": "west", "members": ["ana", "bo"]}],
            "rules": [{"name": "all", "to": "team:west"}]}
    assert _errors(data) == {"digest": "no team has a manager or a channel to send it to"}
