"""Lead-to-account matching: an index built once per set of accounts, queried per lead.

``AccountIndex`` holds accounts (the config's, or the CRM's fetched in batches by the
connector) by domain, by normalised company name, by acronym, and in blocks of names sharing
their first two letters for the fuzzy comparison, so a lead costs a few dictionary look-ups and
one rapidfuzz pass over a small block, whatever the number of accounts.

Evidence, strongest first: the lead's email domain, then its website domain (an account's
domain or a parent of it: sales.acme.com belongs to acme.com; free-mail and disposable domains
never count), then its company name (``companies.similarity`` >= the rule's threshold). Ties:
the higher score, then the most recent ``last_activity``, then the CRM's accounts before the
config's, then the account name.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from pydantic import model_validator
from rapidfuzz import fuzz, process

from .base import Model
from .choices import Match
from .companies import CompanyName, normalize_company, similarity
from .quality import is_personal_domain
from .text import website_domain

SUBDOMAIN_SCORE = 95.0
_PREFILTER_MARGIN = 15        # the fuzzy pass keeps names within this of the threshold, then scores them
_PREFILTER_LIMIT = 10
_MEMO_MAX = 20_000
_EVIDENCE_RANK = {"email domain": 0, "website domain": 1, "company name": 2}


class Account(Model):
    """An account (Salesforce Account, HubSpot company) and the rep who owns it."""

    owner: str                         # a rep id (the connector maps the CRM's owner id)
    domain: str | None = None          # a domain or a website URL
    name: str | None = None
    id: str | None = None              # the CRM record id
    last_activity: datetime | None = None

    @model_validator(mode="after")
    def _something_to_match(self):
        if not (self.domain or self.name):
            raise ValueError("an account needs a domain or a name")
        return self


@dataclass(frozen=True, slots=True)
class AccountMatch:
    account: Account
    evidence: str        # email domain | website domain | company name
    score: float         # 0..100
    detail: str          # what matched, for the trace
    source: int = 0      # 0: the CRM's accounts, 1: the config's

    def key(self) -> tuple:
        activity = self.account.last_activity.timestamp() if self.account.last_activity else float("-inf")
        return (_EVIDENCE_RANK[self.evidence], -self.score, -activity, self.source, self.account.name or "")

    def explain(self) -> str:
        label = self.account.name or self.account.domain
        return f"account {label} matched by {self.evidence} {self.detail}"


class AccountIndex:
    def __init__(self, accounts: Iterable[Account]):
        self.accounts = tuple(accounts)
        self._domains: dict[str, list[int]] = {}
        self._cores: dict[str, list[int]] = {}
        self._acronyms: dict[str, list[int]] = {}
        self._blocks: dict[str, tuple[list[str], list[int]]] = {}
        self._names: list[CompanyName | None] = []
        self._memo: dict[tuple, tuple[tuple[int, float], ...]] = {}
        for i, account in enumerate(self.accounts):
            self._add(i, account)

    @classmethod
    def of_domains(cls, owners: Mapping[str, str]) -> "AccountIndex":
        """From ``{domain: rep id}`` (the shape the connector used to pass)."""
        return cls(Account(domain=d, owner=rep) for d, rep in owners.items())

    def __len__(self) -> int:
        return len(self.accounts)

    def _add(self, i: int, account: Account) -> None:
        domain = website_domain(account.domain) if account.domain else None
        if domain and not is_personal_domain(domain):
            self._domains.setdefault(domain, []).append(i)
        name = normalize_company(account.name) if account.name else None
        self._names.append(name)
        if name is None:
            return
        self._cores.setdefault(name.core, []).append(i)
        if name.acronym:
            self._acronyms.setdefault(name.acronym, []).append(i)
        strings, ids = self._blocks.setdefault(name.compact[:2], ([], []))
        strings.append(name.compact)
        ids.append(i)

    def find(self, lead, match: Iterable[str], threshold: float, source: int = 0) -> list[AccountMatch]:
        """Every account the lead's evidence points to (unranked)."""
        found: list[AccountMatch] = []
        if Match.DOMAIN in match:
            for evidence, domain in (("email domain", lead.email_domain), ("website domain", lead.website_domain)):
                found.extend(self._by_domain(domain, evidence, source))
        if Match.COMPANY in match and lead.company:
            name = normalize_company(lead.company)
            if name is not None:
                found.extend(AccountMatch(self.accounts[i], "company name",
                                          score, f"{lead.company!r} ~ {self.accounts[i].name!r} ({score:.0f})", source)
                             for i, score in self._by_name(name, threshold))
        return found

    def _by_domain(self, domain: str | None, evidence: str, source: int) -> list[AccountMatch]:
        if not domain or is_personal_domain(domain):
            return []
        probe = domain
        while probe:
            hits = self._domains.get(probe)
            if hits:
                score = 100.0 if probe == domain else SUBDOMAIN_SCORE
                return [AccountMatch(self.accounts[i], evidence, score, probe, source) for i in hits]
            _, dot, probe = probe.partition(".")
            if not dot or "." not in probe:
                break  # never match on a bare top-level domain
        return []

    def _by_name(self, name: CompanyName, threshold: float) -> tuple[tuple[int, float], ...]:
        key = (name, threshold)
        hit = self._memo.get(key)
        if hit is None:
            if len(self._memo) > _MEMO_MAX:
                self._memo.clear()
            hit = self._memo[key] = self._score_names(name, threshold)
        return hit

    def _score_names(self, name: CompanyName, threshold: float) -> tuple[tuple[int, float], ...]:
        candidates = set(self._cores.get(name.core, ()))
        candidates.update(self._acronyms.get(name.core, ()))
        if name.acronym:
            candidates.update(self._cores.get(name.acronym, ()))
        block = self._blocks.get(name.compact[:2])
        if block is not None:
            strings, ids = block
            for _s, _score, pos in process.extract(name.compact, strings, scorer=fuzz.ratio, limit=_PREFILTER_LIMIT,
                                                   score_cutoff=max(0.0, threshold - _PREFILTER_MARGIN)):
                candidates.add(ids[pos])
        scored = ((i, similarity(name, self._names[i], threshold)) for i in sorted(candidates))
        return tuple((i, s) for i, s in scored if s >= threshold)


def best_match(lead, indexes: Iterable[AccountIndex], match: Iterable[str], threshold: float) -> tuple[AccountMatch, int] | None:
    """The strongest match over the indexes (the CRM's first) and how many accounts matched."""
    found = [m for source, index in enumerate(indexes) for m in index.find(lead, match, threshold, source)]
    return (min(found, key=AccountMatch.key), len(found)) if found else None
