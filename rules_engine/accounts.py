"""Lead-to-account matching: an index built once per set of accounts, queried per lead.

``AccountIndex`` holds accounts (the config's, or the CRM's fetched in batches by the
connector) by domain, by normalised company name, by acronym, and in blocks (names sharing the
first three or the last four letters of their first word, sorted by length) for the fuzzy comparison,
so a lead costs a few dictionary look-ups and, unless its name is found as it is, one rapidfuzz
pass over the block names of a possible length, whatever the number of accounts.

Evidence, strongest first: the lead's email domain, then its website domain (an account's
domain or a parent of it: sales.acme.com belongs to acme.com; free-mail and disposable domains
never count), then its company name (``companies.similarity`` >= the rule's threshold; one
typo is found, a first word misspelt at both ends is not). Ties:
the higher score, then the most recent ``last_activity``, then the CRM's accounts before the
config's, then the account name.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
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
# The fuzzy pass keeps the blocks' names whose ratio without spaces reaches the threshold, then
# scores them with ``similarity``. No name that ``similarity`` accepts is lost: its word-by-word
# ratios reaching the threshold bound the ratio of the joined words from below.
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
        self._blocks: dict = {}   # block key -> _Block (entries while building)
        self._names: list[CompanyName | None] = []
        self._memo: dict[tuple, tuple[tuple[int, float], ...]] = {}
        for i, account in enumerate(self.accounts):
            self._add(i, account)
        self._blocks = {key: _Block(entries) for key, entries in self._blocks.items()}

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
        for block in _block_keys(name):
            self._blocks.setdefault(block, []).append((len(name.compact), name.compact, i))

    def find(self, evidence: "Evidence", threshold: float, source: int = 0) -> list[AccountMatch]:
        """Every account the lead's evidence points to (unranked)."""
        found: list[AccountMatch] = []
        for kind, domain in evidence.domains:
            found.extend(self._by_domain(domain, kind, source))
        name = evidence.company
        if name is not None:
            for i, score in self._by_name(name, threshold):
                other = self.accounts[i].name
                found.append(AccountMatch(self.accounts[i], "company name", score,
                                          f"{evidence.company_text!r} ~ {other!r} ({score:.0f})", source))
        return found

    def _by_domain(self, domain: str, evidence: str, source: int) -> list[AccountMatch]:
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
        if not self._cores:
            return ()   # no account here has a name
        key = (name.core, name.qualifiers, threshold)   # what a name's other fields derive from
        hit = self._memo.get(key)
        if hit is None:
            if len(self._memo) > _MEMO_MAX:
                self._memo.clear()
            hit = self._memo[key] = self._score_names(name, threshold)
        return hit

    def _score_names(self, name: CompanyName, threshold: float) -> tuple[tuple[int, float], ...]:
        candidates = set(self._cores.get(name.core, ()))
        # An equal name that matches: no fuzzy one can score higher, the fuzzy pass is skipped.
        exact = any(similarity(name, self._names[i], threshold) for i in candidates)
        candidates.update(self._acronyms.get(name.core, ()))
        if name.acronym:
            candidates.update(self._cores.get(name.acronym, ()))
        for key in () if exact else _block_keys(name):
            block = self._blocks.get(key)
            if block is not None:
                candidates.update(block.near(name.compact, threshold))
        scored = ((i, similarity(name, self._names[i], threshold)) for i in sorted(candidates))
        return tuple((i, s) for i, s in scored if s >= threshold)


class _Block:
    """The names of one block sorted by length: only those whose length allows the threshold
    (a ratio of t needs the shorter name at least t / (2 - t) of the longer) are compared."""
    __slots__ = ("lengths", "strings", "ids")

    def __init__(self, entries: list[tuple[int, str, int]]):
        entries.sort()
        self.lengths = [n for n, _, _ in entries]
        self.strings = [s for _, s, _ in entries]
        self.ids = [i for _, _, i in entries]

    def near(self, compact: str, threshold: float) -> list[int]:
        t = threshold / 100
        lo = bisect_left(self.lengths, math.ceil(len(compact) * t / (2 - t)))
        hi = bisect_right(self.lengths, math.floor(len(compact) * (2 - t) / t))
        found = process.extract(compact, self.strings[lo:hi], scorer=fuzz.ratio, limit=None, score_cutoff=threshold)
        return [self.ids[lo + pos] for _s, _score, pos in found]


def _block_keys(name: CompanyName) -> tuple[str, str]:
    """A name's blocks: the first three and the last four letters of its first word. A name with
    one typo still shares one of them with its account, and each block is a small share of them."""
    first = name.tokens[0]
    return "<" + first[:3], ">" + first[-4:]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a lead offers for matching, worked out once per decision whatever the indexes."""
    domains: tuple[tuple[str, str], ...]     # (email domain | website domain, domain), personal ones left out
    company: CompanyName | None
    company_text: str | None

    @classmethod
    def of(cls, lead, match: Iterable[str]) -> "Evidence":
        domains: tuple[tuple[str, str], ...] = ()
        if Match.DOMAIN in match:
            domains = tuple((kind, d) for kind, d in (("email domain", lead.email_domain),
                                                      ("website domain", lead.website_domain))
                            if d and not is_personal_domain(d))
        name = normalize_company(lead.company) if Match.COMPANY in match and lead.company else None
        return cls(domains, name, lead.company)


def best_match(lead, indexes: Iterable[AccountIndex], match: Iterable[str],
               threshold: float) -> tuple[AccountMatch, int] | None:
    """The strongest match over the indexes (the CRM's first) and how many accounts matched."""
    evidence = Evidence.of(lead, match)
    if not evidence.domains and evidence.company is None:
        return None
    found = [m for source, index in enumerate(indexes) for m in index.find(evidence, threshold, source)]
    return (min(found, key=AccountMatch.key), len(found)) if found else None
