"""Country, state and postal-code normalization (pycountry, not a hand-made list).

Countries are recognised by ISO 3166-1 alpha-2, alpha-3 and numeric code, and by name in English
and in every language pycountry ships a translation for ("Deutschland", "Brasil", "España",
"Schweiz"); subdivisions by ISO 3166-2 code and by name in every translated language ("Bayern",
"Bavaria", "Baviera"). Names are compared without accents, case, hyphens or extra spaces. A name
two countries' translations share is recognised for neither: it is not guessed.
"""
from __future__ import annotations

import gettext
import os
import re
from functools import lru_cache
from typing import Iterable

import pycountry

from .text import strip_accents

# Names people commonly type that ISO 3166 and its translations do not list. Kept tiny on purpose.
_ALIASES = {
    "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "great britain": "GB", "russia": "RU", "america": "US", "u.s.": "US", "u.s.a.": "US",
    "united states of america": "US", "holland": "NL", "czechia": "CZ", "turkey": "TR",
    "letzebuerg": "LU",  # Luxembourgish: pycountry has no translation into it
}
# English exonyms of subdivisions that pycountry's English translation lacks.
_SUBDIVISION_EXONYMS = {
    "DE": {"lower saxony": "NI", "north rhine westphalia": "NW", "rhineland palatinate": "RP",
           "saxony": "SN", "saxony anhalt": "ST", "hesse": "HE", "thuringia": "TH",
           "mecklenburg western pomerania": "MV", "baden wuerttemberg": "BW"},
    "AT": {"lower austria": "3", "upper austria": "4", "styria": "6", "carinthia": "2", "tyrol": "7",
           "vienna": "9"},
}
_SEPARATORS = re.compile(r"[\s\-_]+")
_BRACKETED = re.compile(r"\s*\[([^\]]+)\]")  # "Catalunya [Cataluña]": both names


def _key(value) -> str:
    return _SEPARATORS.sub(" ", strip_accents(str(value)).casefold()).strip()


@lru_cache(maxsize=8)
def _translations(domain: str) -> tuple[gettext.NullTranslations, ...]:
    """Every language pycountry ships for an iso-codes domain ('iso3166-1', 'iso3166-2')."""
    out = []
    for language in sorted(os.listdir(pycountry.LOCALES_DIR)):
        try:
            out.append(gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language]))
        except OSError:
            continue
    return tuple(out)


def _name_table(entries, domain: str) -> dict[str, str]:
    """{key: code} from ``(code, names)`` entries: the names as given first, then every
    translation; a translated key claimed by two codes is dropped (ambiguous)."""
    table: dict[str, str] = {}
    for code, names in entries:
        for name in names:
            table.setdefault(_key(name), code)
    claimed: dict[str, str] = {}
    ambiguous: set[str] = set()
    for tr in _translations(domain):
        for code, names in entries:
            for name in names:
                key = _key(tr.gettext(name))
                if key in table:
                    continue
                if claimed.setdefault(key, code) != code:
                    ambiguous.add(key)
    return table | {k: c for k, c in claimed.items() if k not in ambiguous}


@lru_cache(maxsize=4096)
def normalize_country(value) -> str | None:
    """'United States', 'USA', 'us', '840', 'Deutschland' -> ISO alpha-2; None when unknown."""
    if value is None:
        return None
    key = _key(value)
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return pycountry.countries.lookup(key.zfill(3) if key.isdigit() else key).alpha_2
    except LookupError:
        pass
    return _country_names().get(key)


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    entries = [(c.alpha_2, [getattr(c, a) for a in ("name", "official_name", "common_name") if hasattr(c, a)])
               for c in pycountry.countries]
    return _name_table(entries, "iso3166-1")


def country_name_keys() -> Iterable[str]:
    """Every country name in every language pycountry translates, folded ('india', 'deutschland')."""
    return _country_names().keys()


def is_country_code(value: str | None) -> bool:
    return bool(value) and value in _country_codes()


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@lru_cache(maxsize=512)
def _subdivisions(country: str) -> dict[str, str]:
    """{'bayern': 'BY', 'bavaria': 'BY', 'by': 'BY', 'de by': 'BY'} for one country."""
    codes: dict[str, str] = {}
    entries = []
    for sub in pycountry.subdivisions.get(country_code=country) or ():
        suffix = sub.code.split("-", 1)[1]
        codes[_key(sub.code)] = codes[_key(suffix)] = suffix
        entries.append((suffix, [sub.name, *_BRACKETED.findall(sub.name), _BRACKETED.sub("", sub.name)]))
    return codes | _name_table(entries, "iso3166-2") | _SUBDIVISION_EXONYMS.get(country, {})


def has_subdivisions(country: str) -> bool:
    return bool(_subdivisions(country))


@lru_cache(maxsize=1)
def _all_subdivisions() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for sub in pycountry.subdivisions:
        country, suffix = sub.code.split("-", 1)
        table.setdefault(_key(sub.name), (country, suffix))
        table.setdefault(_key(sub.code), (country, suffix))
    return table


def subdivision_code(value, country: str) -> str | None:
    """The ISO 3166-2 suffix of a subdivision of ``country`` by code or name; None when unknown."""
    key = _key(value) if value is not None else ""
    return _subdivisions(country).get(key) if key else None


@lru_cache(maxsize=8192)
def normalize_state(value, country: str | None = None) -> str | None:
    """'California' / 'ca' / 'US-CA' -> 'CA' (the ISO 3166-2 suffix). Unknown values are kept,
    upper-cased, so a rule can still compare them literally."""
    if value is None:
        return None
    key = _key(value)
    if not key:
        return None
    if country:
        hit = _subdivisions(country).get(key)
        if hit:
            return hit
    elif " " in key or len(key) > 3:
        hit = _all_subdivisions().get(key)
        if hit:
            return hit[1]
    return str(value).strip().upper()


def normalize_postal(value) -> str | None:
    if value is None:
        return None
    text = re.sub(r"[\s-]+", "", str(value)).upper()
    return text or None


def compile_postal_pattern(pattern: str) -> re.Pattern:
    """'94*' -> prefix match; '*' anywhere matches any run of characters; '?' one character."""
    norm = normalize_postal(pattern) or ""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in norm)
    return re.compile(regex + r"\Z")
