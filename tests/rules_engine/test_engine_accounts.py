"""assign: account_owner: domains, company names, tie-breakers, the CRM's accounts, validation."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from engine_helpers import config, rep, route

from rules_engine import ConfigError, load_config
from rules_engine.accounts import Account, AccountIndex

ACCOUNTS = [
    {"domain": "acme.com", "name": "Acme Corporation", "owner": "bruno"},
    {"domain": "https://www.ibm.com/us-en", "name": "International Business Machines", "owner": "ana"},
    {"name": "Siemens AG", "owner": "carla"},
]


def _config(match=None, accounts=ACCOUNTS, **rule):
    account_rule = {"name": "known-account", "assign": "account_owner", **rule}
    if match is not None:
        account_rule["match"] = match
    return config([rep("ana"), rep("bruno"), rep("carla"), rep("dora")],
                  [account_rule, {"name": "everyone", "to": "rep:dora"}], accounts=accounts)


def _steps(d, kind):
    return [s["text"] for s in d.trace if s["step"] == kind]


def test_the_email_domain_or_a_subdomain_of_it_finds_the_account():
    assert route(_config(), {"id": "L1", "email": "jo@acme.com"}).owner == "bruno"
    d = route(_config(), {"id": "L2", "email": "jo@sales.emea.acme.com"})
    assert d.owner == "bruno"
    assert _steps(d, "account") == [
        "rule known-account: account Acme Corporation matched by email domain acme.com, owned by bruno"]
    assert route(_config(), {"id": "L3", "website": "https://research.ibm.com/labs"}).owner == "ana"


def test_free_mail_and_disposable_domains_never_match_by_domain():
    accounts = ACCOUNTS + [{"domain": "gmail.com", "name": "Google Mail user", "owner": "carla"},
                           {"domain": "mailinator.com", "owner": "carla"}]
    for email in ("jo@gmail.com", "jo@mailinator.com"):
        d = route(_config(accounts=accounts), {"id": "L1", "email": email})
        assert d.owner == "dora", email
    d = route(_config(), {"id": "L1", "email": "jo@gmail.com"})
    assert _steps(d, "account") == [
        "rule known-account: no account for gmail.com (a personal mail domain, never an account's)"]


def test_company_names_match_only_when_the_rule_asks_for_them():
    lead = {"id": "L1", "email": "jo@gmail.com", "company": "I.B.M. Corp"}
    assert route(_config(), lead).owner == "dora"
    d = route(_config(match=["domain", "company"]), lead)
    assert d.owner == "ana"
    assert _steps(d, "account") == ["rule known-account: account International Business Machines matched by "
                                    "company name 'I.B.M. Corp' ~ 'International Business Machines' (90), owned by ana"]
    assert route(_config(match="company"), {"id": "L2", "company": "Siemens"}).owner == "carla"


def test_the_threshold_decides_how_close_a_name_must_be():
    lead = {"id": "L1", "company": "International Busines Machines"}   # a typo
    assert route(_config(match=["company"]), lead).owner == "ana"
    assert route(_config(match=["company"], threshold=99), lead).owner == "dora"


def test_domain_evidence_beats_a_company_name_and_the_email_beats_the_website():
    lead = {"id": "L1", "email": "jo@acme.com", "website": "ibm.com", "company": "Siemens"}
    assert route(_config(match=["domain", "company"]), lead).owner == "bruno"
    assert route(_config(match=["domain", "company"]), {**lead, "email": "jo@gmail.com"}).owner == "ana"


def test_between_equal_matches_the_most_recently_active_account_wins():
    accounts = [{"name": "Globex", "domain": "globex.com", "owner": "ana", "last_activity": "2026-01-10T00:00:00Z"},
                {"name": "Globex Inc", "domain": "globex.com", "owner": "bruno",
                 "last_activity": "2026-02-01T00:00:00Z"},
                {"name": "Globex", "domain": "globex.com", "owner": "carla"}]
    d = route(_config(accounts=accounts), {"id": "L1", "email": "jo@globex.com"})
    assert d.owner == "bruno"
    assert "(best of 3 matches)" in _steps(d, "account")[0]


def test_the_crms_accounts_are_matched_with_the_configs_and_win_a_tie():
    crm = AccountIndex([Account(domain="acme.com", name="Acme Corp", owner="carla", id="001A")])
    assert route(_config(), {"id": "L1", "email": "jo@acme.com"}, accounts=crm).owner == "carla"
    assert route(_config(), {"id": "L2", "email": "jo@acme.com"}, accounts={"acme.com": "ana"}).owner == "ana"
    assert route(_config(), {"id": "L3", "email": "jo@ibm.com"}, accounts=crm).owner == "ana"


def test_an_account_owned_by_someone_who_is_not_a_rep_yields_nothing():
    crm = AccountIndex([Account(domain="initech.com", owner="crm:0051", id="001B")])
    d = route(_config(), {"id": "L1", "email": "jo@initech.com"}, accounts=crm)
    assert d.owner == "dora"
    assert "rule known-account: crm:0051 is not a rep here" in d.explain()


def test_the_configs_accounts_are_indexed_once_at_load():
    cfg = load_config(_config())
    assert isinstance(cfg.compiled.accounts, AccountIndex) and len(cfg.compiled.accounts) == 3
    assert cfg.compiled.needs_accounts and not cfg.compiled.needs_people
    assert Account(name="X", owner="ana", last_activity=datetime(2026, 1, 1, tzinfo=timezone.utc)).name == "X"


def test_match_and_threshold_are_validated_with_their_paths():
    with pytest.raises(ConfigError) as err:
        load_config(config([rep("ana")], [
            {"name": "a", "assign": "account_owner", "match": ["domain", "name"]},
            {"name": "b", "assign": "account_owner", "threshold": 90},
            {"name": "c", "to": "rep:ana", "match": ["company"]},
            {"name": "d", "assign": "account_owner", "match": "company", "threshold": 30},
        ], accounts=[{"owner": "ana"}]))
    messages = [str(e) for e in err.value.errors]
    assert "rules[0].match[1]: Input should be 'domain' or 'company'" in messages
    assert "rules[1].threshold: threshold applies to match: company only" in messages
    assert "rules[2].match: match applies to assign: account_owner only" in messages
    assert "rules[3].threshold: Input should be greater than or equal to 50" in messages
    assert "accounts[0]: an account needs a domain or a name" in messages
