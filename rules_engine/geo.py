"""Country, state and postal-code normalization (pycountry, not a hand-made list)."""
from __future__ import annotations

import re
from functools import lru_cache

import pycountry

from .text import strip_accents

# Names people commonly type that ISO 3166 does not list (pycountry knows "United States",
# "USA", "US", "South Korea"... but not these). Kept tiny on purpose.
_ALIASES = {
    "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "great britain": "GB", "russia": "RU", "america": "US", "u.s.": "US", "u.s.a.": "US",
    "united states of america": "US", "holland": "NL", "czechia": "CZ", "turkey": "TR",
}


def _key(value) -> str:
    return " ".join(strip_accents(str(value)).casefold().split())


@lru_cache(maxsize=4096)
def normalize_country(value) -> str | None:
    """'United States', 'USA', 'us', 'Brasil'? -> ISO alpha-2 ('US'); None when unknown."""
    if value is None:
        return None
    key = _key(value)
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return pycountry.countries.lookup(key).alpha_2
    except LookupError:
        pass
    # Accent-insensitive match on names ("Perú" typed as "Peru" is handled by lookup; the
    # reverse is handled here).
    return _country_names().get(key)


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if hasattr(c, attr):
                names.setdefault(_key(getattr(c, attr)), c.alpha_2)
    return names


@lru_cache(maxsize=512)
def _subdivisions(country: str) -> dict[str, str]:
    """{'california': 'CA', 'ca': 'CA', 'us-ca': 'CA'} for one country."""
    table: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code=country) or ():
        suffix = sub.code.split("-", 1)[1]
        for k in (sub.code, suffix, sub.name):
            table.setdefault(_key(k), suffix)
    return table


@lru_cache(maxsize=1)
def _all_subdivisions() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for sub in pycountry.subdivisions:
        country, suffix = sub.code.split("-", 1)
        table.setdefault(_key(sub.name), (country, suffix))
        table.setdefault(_key(sub.code), (country, suffix))
    return table


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
    elif "-" in key or len(key) > 3:
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
