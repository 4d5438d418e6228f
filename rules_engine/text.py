"""Small string helpers shared by lead normalization, conditions and requirements."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def fold(value) -> str:
    """Case-insensitive, trimmed comparison form (the rule for every string operator)."""
    return str(value).strip().casefold()


def strip_accents(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def slugify(value) -> str:
    """'Aerospace & Defense' -> 'aerospace-defense'; used to compare skills with lead values."""
    return _SLUG_RE.sub("-", strip_accents(str(value)).casefold()).strip("-")


def email_domain(email) -> str | None:
    if not email:
        return None
    _, at, domain = str(email).strip().rpartition("@")
    domain = domain.strip().strip(".").casefold()
    return domain if at and domain else None


def website_domain(website) -> str | None:
    if not website:
        return None
    text = str(website).strip()
    if "//" not in text:
        text = "//" + text  # urlsplit only finds the host after '//'
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.strip(".").casefold()
    return host[4:] if host.startswith("www.") else host


def domain_matches(domain: str | None, domains: frozenset[str]) -> str | None:
    """The configured domain that ``domain`` equals or is a subdomain of (sales.acme.com -> acme.com)."""
    while domain:
        if domain in domains:
            return domain
        _, dot, domain = domain.partition(".")
        if not dot:
            return None
    return None
