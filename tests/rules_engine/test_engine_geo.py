"""International territories: country and subdivision names in many languages, codes, exonyms."""
from __future__ import annotations

import pytest
from engine_helpers import config, rep, route

from rules_engine import ConfigError, Lead, load_config, normalize_country, normalize_state

# Every European Union member, named in (one of) its own official language(s).
EU_OWN_NAMES = {
    "AT": "Österreich", "BE": "België", "BG": "България", "HR": "Hrvatska", "CY": "Κύπρος",
    "CZ": "Česko", "DK": "Danmark", "EE": "Eesti", "FI": "Suomi", "FR": "France", "DE": "Deutschland",
    "GR": "Ελλάδα", "HU": "Magyarország", "IE": "Éire", "IT": "Italia", "LV": "Latvija", "LT": "Lietuva",
    "LU": "Lëtzebuerg", "MT": "Malta", "NL": "Nederland", "PL": "Polska", "PT": "Portugal",
    "RO": "România", "SK": "Slovensko", "SI": "Slovenija", "ES": "España", "SE": "Sverige",
}


@pytest.mark.parametrize("code,name", sorted(EU_OWN_NAMES.items()))
def test_every_eu_country_is_recognised_by_its_own_name(code, name):
    assert normalize_country(name) == code
    assert normalize_country(name.upper()) == code


def test_countries_by_name_in_other_languages_and_by_every_iso_code():
    assert {normalize_country(x) for x in ("Schweiz", "Suisse", "Svizzera", "Switzerland", "CHE", "756")} == {"CH"}
    assert {normalize_country(x) for x in ("Brasil", "Brésil", "BRA", "076", "76")} == {"BR"}
    assert normalize_country("Allemagne") == normalize_country("Alemania") == "DE"
    assert normalize_country("Atlantis") is None


def test_subdivisions_by_local_name_exonym_translation_and_code():
    assert {normalize_state(x, "DE") for x in ("Bayern", "Bavaria", "Baviera", "Bavière", "BY", "DE-BY")} == {"BY"}
    assert {normalize_state(x, "DE") for x in ("Niedersachsen", "Lower Saxony", "Basse-Saxe")} == {"NI"}
    assert normalize_state("North Rhine-Westphalia", "DE") == normalize_state("nordrhein westfalen", "DE") == "NW"
    assert normalize_state("Catalunya", "ES") == normalize_state("Cataluña", "ES") == "CT"


def _territory_config(**territory):
    return config([rep("ana", territories=[territory])],
                  [{"name": "t", "to": "rep:ana", "require": ["territory"]}])


def test_a_lead_from_deutschland_in_bavaria_falls_in_a_de_by_territory():
    cfg = _territory_config(country="DE", state=["BY"])
    assert route(cfg, {"id": "L1", "country": "Deutschland", "state": "Bavaria"}).owner == "ana"
    assert route(cfg, {"id": "L2", "country": "Germany", "state": "Niedersachsen"}).owner is None


def test_a_territory_may_name_its_country_and_states_in_any_language():
    cfg = load_config(_territory_config(country="Deutschland", state=["Bayern", "Lower Saxony"]))
    assert cfg.reps[0].territories[0].country == "DE"
    assert route(cfg, {"id": "L1", "country": "DE", "state": "NI"}).owner == "ana"


def test_an_unrecognised_country_is_named_in_the_trace():
    d = route(_territory_config(country="DE"), {"id": "L1", "country": "Atlantis"})
    assert d.owner is None
    assert "rule t: country 'Atlantis' not recognised, so no territory can match" in d.explain()
    assert Lead.from_dict({"country": "Atlantis"}).country == "Atlantis"


def test_validation_rejects_an_unknown_country_or_state_in_a_territory():
    with pytest.raises(ConfigError) as err:
        load_config(config([rep("ana", territories=[{"country": "Atlantis"}, {"country": "DE", "state": ["Narnia"]}])],
                           [{"name": "t", "to": "rep:ana"}]))
    assert [str(e) for e in err.value.errors] == [
        "reps[0].territories[0].country: unknown country 'Atlantis'",
        "reps[0].territories[1]: unknown state 'Narnia' in DE"]
