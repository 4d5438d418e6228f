"""Every operator, positive and negative, nesting, and the missing-field rule."""
from __future__ import annotations

import pytest
from engine_helpers import config, rep, route

from rules_engine import ConfigError, Lead, load_config


def matches(cond, **lead) -> bool:
    cfg = config([rep("ana")], [{"name": "r", "when": cond, "to": "rep:ana"}])
    return route(cfg, {"id": "L", **lead}).owner == "ana"


def leaf(field, op, value=None):
    c = {"field": field, "op": op}
    if value is not None:
        c["value"] = value
    return c


@pytest.mark.parametrize("op,value,lead_value,expected", [
    ("eq", "Aerospace", "  aerospace ", True),
    ("eq", "Aerospace", "Defense", False),
    ("ne", "Aerospace", "Defense", True),
    ("ne", "Aerospace", "AEROSPACE", False),
    ("in", ["Aerospace", "Defense"], "defense", True),
    ("in", ["Aerospace", "Defense"], "Retail", False),
    ("not_in", ["Aerospace", "Defense"], "Retail", True),
    ("not_in", ["Aerospace", "Defense"], "DEFENSE", False),
    ("contains", "space", "AeroSpace", True),
    ("contains", "space", "Retail", False),
    ("not_contains", "space", "Retail", True),
    ("not_contains", "space", "Aerospace", False),
    ("starts_with", "AERO", "aerospace", True),
    ("starts_with", "space", "aerospace", False),
    ("ends_with", "SPACE", "aerospace", True),
    ("ends_with", "aero", "aerospace", False),
    ("matches", r"^aero.*e$", "Aerospace", True),
    ("matches", r"^defen[cs]e$", "Aerospace", False),
])
def test_string_operators_are_trimmed_and_case_insensitive(op, value, lead_value, expected):
    assert matches(leaf("industry", op, value), industry=lead_value) is expected


@pytest.mark.parametrize("op,value,employees,expected", [
    ("gt", 1000, 1001, True), ("gt", 1000, 1000, False),
    ("gte", 1000, 1000, True), ("gte", 1000, 999, False),
    ("lt", 50, 49, True), ("lt", 50, 50, False),
    ("lte", 50, 50, True), ("lte", 50, 51, False),
    ("between", [10, 20], 10, True), ("between", [10, 20], 20, True), ("between", [10, 20], 21, False),
    ("eq", 500, "500", True), ("in", [5, 500], "500", True), ("ne", 500, 501, True),
])
def test_numeric_operators_compare_numbers_at_their_bounds(op, value, employees, expected):
    assert matches(leaf("employees", op, value), employees=employees) is expected


def test_date_comparisons_use_iso_datetimes():
    cond = leaf("created_at", "gte", "2026-03-01T00:00:00Z")
    assert matches(cond, created_at="2026-03-01T00:00:00+00:00")
    assert not matches(cond, created_at="2026-02-28T23:59:59Z")
    assert matches(leaf("created_at", "between", ["2026-01-01", "2026-12-31"]), created_at="2026-06-01T10:00:00Z")


@pytest.mark.parametrize("op,value", [
    ("eq", "x"), ("in", ["x"]), ("contains", "x"), ("starts_with", "x"), ("ends_with", "x"),
    ("gt", 1), ("gte", 1), ("lt", 1), ("lte", 1), ("between", [1, 2]), ("exists", None),
    ("matches", "x"), ("domain_in", ["x.com"]),
])
def test_a_missing_field_never_matches_a_positive_test(op, value):
    assert not matches(leaf("industry", op, value))
    assert not matches(leaf("industry", op, value), industry="   ")


@pytest.mark.parametrize("op,value", [("ne", "x"), ("not_in", ["x"]), ("not_contains", "x"), ("not_exists", None)])
def test_a_missing_field_satisfies_a_negative_test(op, value):
    assert matches(leaf("industry", op, value))


def test_exists_and_not_exists():
    assert matches(leaf("title", "exists"), title="CTO")
    assert not matches(leaf("title", "not_exists"), title="CTO")


def test_domain_in_matches_email_and_website_domains_and_subdomains():
    cond = leaf("email", "domain_in", ["acme.com"])
    assert matches(cond, email="Jo@Sales.ACME.com")
    assert not matches(cond, email="jo@notacme.com")
    assert matches(leaf("website", "domain_in", ["acme.com"]), website="https://www.acme.com/about")
    assert matches(leaf("domain", "domain_in", ["acme.com"]), website="acme.com")


def test_raw_crm_fields_can_be_tested():
    assert matches(leaf("raw.Segment__c", "eq", "Enterprise"), **{"raw.Segment__c": "enterprise"})
    assert not matches(leaf("raw.Segment__c", "eq", "Enterprise"))


def test_country_and_state_values_are_normalized_on_both_sides():
    assert matches(leaf("country", "eq", "United States"), country="USA")
    assert matches(leaf("country", "in", ["US", "Brazil"]), country="Brasil")  # the Portuguese name
    assert matches(leaf("country", "in", ["US", "Brazil"]), country="Atlantis") is False
    assert matches(leaf("country", "in", ["US", "Brazil"]), country="BR")
    assert matches(leaf("state", "eq", "California"), country="US", state="ca")


def test_all_any_not_nest_to_any_depth():
    cond = {"all": [leaf("industry", "eq", "Aerospace"),
                    {"any": [leaf("employees", "gte", 1000), {"not": {"any": [leaf("country", "eq", "US"),
                                                                          leaf("country", "eq", "BR")]}}]}]}
    assert matches(cond, industry="Aerospace", employees=5000, country="US")
    assert matches(cond, industry="Aerospace", employees=5, country="DE")
    assert not matches(cond, industry="Aerospace", employees=5, country="BR")
    assert not matches(cond, industry="Retail", employees=5000, country="DE")


def test_no_match_is_explained_in_the_trace():
    cfg = config([rep("ana")], [{"name": "big", "when": {"all": [leaf("industry", "eq", "Aerospace"),
                                                                  leaf("employees", "gte", 1000)]},
                                 "to": "rep:ana"}])
    d = route(cfg, {"id": "L", "industry": "aerospace", "employees": 20})
    assert "rule big: no match (employees is 20, not employees gte 1000)" in d.explain()


def test_regexes_are_compiled_at_load_and_length_bounded():
    def err(pattern):
        cfg = config([rep("ana")], [{"name": "r", "when": leaf("title", "matches", pattern), "to": "rep:ana"}])
        with pytest.raises(ConfigError) as exc:
            load_config(cfg)
        return exc.value.errors[0]
    assert err("(unclosed").path == "rules[0].when.value"
    assert "longer than" in err("a" * 300).message
    assert "nested quantifier" in err("(a+)+$").message


def test_matches_only_searches_a_bounded_prefix_of_long_values():
    assert matches(leaf("title", "matches", "^x"), title="x" + "y" * 5000)
    assert not matches(leaf("title", "matches", "needle"), title="y" * 5000 + "needle")


def test_lead_from_dict_keeps_unknown_keys_in_raw():
    lead = Lead.from_dict({"id": "1", "Custom__c": "v", "raw": {"Other": 1}, "employees": "1,200"})
    assert lead.raw == {"Other": 1, "Custom__c": "v"}
    assert lead.employees == 1200


def test_unknown_keys_with_brackets_are_reported_not_crashed_on():
    # Found by the API fuzzer: a key like "a[" used to be dropped as a union tag, then crash.
    import pytest

    from rules_engine import ConfigError, load_config

    with pytest.raises(ConfigError) as info:
        load_config({"a[": 1, "rules": [{"name": "x", "to": "rep:a", "b[x]": 2}], "reps": [{"id": "a"}]})
    found = {(issue.path, issue.message) for issue in info.value.errors}
    assert ("a[", "unknown key 'a['") in found
    assert ("rules[0].b[x]", "unknown key 'b[x]'") in found
