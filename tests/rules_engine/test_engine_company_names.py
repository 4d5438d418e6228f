"""Company names that must and must not be taken for the same company (real public companies)."""
from __future__ import annotations

import pytest

from rules_engine.companies import normalize_company, similarity
from rules_engine.compiled import DEFAULT_THRESHOLD

SAME = [
    ("IBM", "I.B.M. Corp"),
    ("IBM", "IBM India"),
    ("IBM", "International Business Machines Corporation"),
    ("Siemens AG", "Siemens"),
    ("Apple Inc.", "Apple"),
    ("Nestlé S.A.", "Nestle"),
    ("Salesforce.com, inc.", "Salesforce"),
    ("AT&T Inc.", "AT&T"),
    ("The Coca-Cola Company", "Coca Cola Co."),
    ("Samsung Electronics Co., Ltd.", "Samsung Electronics"),
    ("Volkswagen AG", "Volkswagen Aktiengesellschaft"),
    ("Toyota Motor Corporation", "Toyota Motor Corp."),
    ("Bayerische Motoren Werke AG", "BMW"),
    ("A.P. Møller - Mærsk A/S", "AP Moller Maersk"),
    ("Sony Group Corporation", "Sony"),
    ("E.ON SE", "EON"),
    ("Société Générale S.A.", "Societe Generale"),
    ("Unilever PLC", "Unilever N.V."),
    ("SAP SE", "SAP Deutschland"),
    ("Koninklijke Philips N.V.", "koninklijke philips"),
    ("Telefónica, S.A.", "Telefonica"),
    ("Banco Bradesco S.A.", "Banco Bradesco"),
    ("Petróleo Brasileiro S.A.", "Petroleo Brasileiro"),
    ("Infosys Limited", "Infosys Ltd"),
    ("Tata Consultancy Services", "TCS"),
    ("BHP Group Limited", "BHP"),
    ("Woolworths Group Ltd", "Woolworths Pty Ltd"),
    ("Volvo AB", "AB Volvo"),
    ("Nokia Oyj", "Nokia"),
    ("Orange S.A.", "Orange France"),
    ("Salesforce", "Salesfroce"),                 # a typo
    ("Volkswagen", "Volkswagn"),                  # a typo
    ("Hewlett Packard Enterprise", "Hewlett-Packard Enterprise Co"),
    ("Procter & Gamble", "Procter and Gamble Co."),
    ("Johnson & Johnson", "Johnson and Johnson"),
    ("PT Bank Mandiri (Persero) Tbk", "Bank Mandiri Persero"),
    ("Ooo Yandex", "Yandex LLC"),
    ("Hitachi, Ltd.", "Hitachi Ltd"),
    ("Toyota Jidosha Kabushiki Kaisha", "Toyota Jidosha KK"),
    ("Zalando SE", "ZALANDO"),
]

DIFFERENT = [
    ("Apple", "Applied Materials"),
    ("Deutsche Bank AG", "Deutsche Bahn AG"),
    ("General Motors", "General Mills"),
    ("Air France", "Air Canada"),
    ("Microsoft", "Micro Focus"),
    ("Siemens", "Siemens Healthineers AG"),
    ("Samsung Electronics", "Samsung Biologics"),
    ("American Express", "American Airlines"),
    ("Bank of America", "Bank of China"),
    ("Ford Motor Company", "Fiat"),
    ("Oracle", "Orange"),
    ("Dell Technologies", "Dell Medical"),
    ("Intel", "Intuit"),
    ("Shell plc", "Shelter Insurance"),
    ("Nike", "Nikon"),
    ("IBM", "IBN"),
    ("Visa Inc.", "Vista Outdoor"),
    ("Meta Platforms", "Metro AG"),
    ("Allianz SE", "Alliance Data"),
    ("BASF SE", "BASE Inc."),
    ("Audi AG", "Audible"),
    ("Adidas AG", "Adient plc"),
]


def _score(a: str, b: str) -> float:
    return similarity(normalize_company(a), normalize_company(b))


@pytest.mark.parametrize("a,b", SAME)
def test_the_same_company_under_another_spelling_matches(a, b):
    assert _score(a, b) >= DEFAULT_THRESHOLD
    assert _score(b, a) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize("a,b", DIFFERENT)
def test_different_companies_with_similar_names_do_not_match(a, b):
    assert _score(a, b) < DEFAULT_THRESHOLD
    assert _score(b, a) < DEFAULT_THRESHOLD


def test_the_table_has_at_least_forty_pairs():
    assert len(SAME) + len(DIFFERENT) >= 40 and len(DIFFERENT) >= 20
