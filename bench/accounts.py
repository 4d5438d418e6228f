"""Benchmark of lead-to-account matching: 50,000 accounts, ``match: [domain, company]``.

    python -m bench.accounts          prints one JSON line
    main() -> dict                    part of `python app.py bench engine` (key "account_matching")

The engine benchmark's config (20 rules x 200 reps) with its first rule matching accounts by
domain and company name, against the CRM's accounts as the connector passes them: one
``AccountIndex`` built once (its build time is reported) and given to every ``decide``. Leads:
a third from a known account's domain, a fifth from a free-mail address with a known account's
name spelled another way (legal form, case, punctuation, a typo), the rest unknown.
``account_rule_share``: the decisions the account rule made (the owner found and available).
"""
from __future__ import annotations

import json
import random
import time

from bench.engine import _measure, build_config
from bench.engine import build_leads as engine_leads
from rules_engine import InMemoryState, Lead, decide, load_config
from rules_engine.accounts import Account, AccountIndex

SYLLABLES = [a + b for a in "bcdfghklmnprstvz" for b in ("a", "e", "i", "o", "u", "ar", "en", "or")]
WORDS = ["Systems", "Logistics", "Foods", "Energy", "Labs", "Partners", "Consulting", "Bank", "Motors",
         "Pharma", "Analytics", "Media", "Robotics", "Textiles", "Insurance", "Software", "Group", "Holdings"]
FORMS = ["Inc.", "GmbH", "S.A.", "Ltd", "AG", "B.V.", "SARL", "Pty Ltd", "KK", "LLC", "", "", ""]


def build_accounts(n: int, n_reps: int = 200, seed: int = 3) -> list[Account]:
    rnd = random.Random(seed)
    accounts, seen = [], set()
    while len(accounts) < n:
        stem = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 4))).capitalize()
        words = [stem] + ([rnd.choice(WORDS)] if rnd.random() < 0.6 else [])
        if stem in seen:
            continue
        seen.add(stem)
        name = " ".join(words + [rnd.choice(FORMS)]).strip()
        accounts.append(Account(id=f"001{len(accounts):09d}", name=name, domain=f"{stem.lower()}.com",
                                owner=f"rep{rnd.randrange(n_reps):03d}"))
    return accounts


def _variant(name: str, rnd: random.Random) -> str:
    core = name.rsplit(" ", 1)[0] if name.split()[-1] in FORMS else name
    choice = rnd.randrange(4)
    if choice == 0:
        return core.upper() + " Corp."
    if choice == 1:
        return core.lower()
    if choice == 2:
        return core + ", Inc."
    i = rnd.randrange(2, max(3, len(core) - 1))   # one typo past the first letters
    return core[:i] + core[i + 1:]


def build_leads(accounts: list[Account], n: int, seed: int = 5) -> list[Lead]:
    """The engine benchmark's leads (same rules fire), with emails and companies for matching."""
    rnd = random.Random(seed)
    leads = []
    for i, lead in enumerate(engine_leads(n)):
        kind = rnd.random()
        account = rnd.choice(accounts)
        if kind < 0.33:
            email, company = f"jo{i}@{account.domain}", account.name
        elif kind < 0.53:
            email, company = f"jo{i}@gmail.com", _variant(account.name, rnd)
        else:
            stem = "".join(rnd.choice(SYLLABLES) for _ in range(3))
            email, company = f"jo{i}@{stem}-{i}.io", f"{stem.capitalize()}{i} {rnd.choice(WORDS)}"
        leads.append(Lead.from_dict({**lead.to_dict(), "email": email, "company": company}))
    return leads


def main(n_accounts: int = 50_000, n_leads: int = 20_000) -> dict:
    raw = build_config()
    raw["rules"][0] = {"name": "existing-customer", "assign": "account_owner", "match": ["domain", "company"]}
    config = load_config(raw)
    accounts = build_accounts(n_accounts)
    t0 = time.perf_counter()
    index = AccountIndex(accounts)
    build_s = time.perf_counter() - t0
    leads = build_leads(accounts, n_leads)
    rules: dict[str, int] = {}

    def run():
        state = InMemoryState()

        def route(lead):
            d = decide(lead, config, state, lead.created_at, crm="salesforce", accounts=index)
            state.apply(d.state_changes)
            rules[str(d.rule)] = rules.get(str(d.rule), 0) + 1
        return route

    _measure(leads[:500], run())   # warm-up
    rules.clear()
    fast = _measure(leads, run())
    return {"decisions_per_s": fast["decisions_per_s"], "p50_us": fast["p50_us"], "p99_us": fast["p99_us"],
            "accounts": n_accounts, "index_build_s": round(build_s, 2), "leads": n_leads,
            "account_rule_share": round(rules.get("existing-customer", 0) / n_leads, 3)}


if __name__ == "__main__":
    print(json.dumps(main()))
