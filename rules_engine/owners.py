"""Rules whose owner comes from the CRM's records (``assign:``): who owns the lead's account, or
an earlier record of the same person. Each finder records its evidence in the trace and returns
``(rep id, reason)`` or None (nothing matched: the rule yields nothing and the next one runs)."""
from __future__ import annotations

from typing import Callable, Sequence

from .accounts import AccountIndex, best_match
from .choices import Assign, Match
from .decision import ACCOUNT, PERSON
from .eligibility import Ctx
from .people import KnownPeople
from .quality import is_personal_domain


def account_owner(rule, ctx: Ctx, indexes: Sequence[AccountIndex], people) -> tuple[str, str] | None:
    lead = ctx.lead
    got = best_match(lead, indexes, rule.match, rule.threshold)
    if got is None:
        ctx.trace.append((ACCOUNT, rule.name, _no_account(lead, rule.match)))
        return None
    found, count = got
    others = f" (best of {count} matches)" if count > 1 else ""
    ctx.trace.append((ACCOUNT, rule.name, f"{found.explain()}{others}, owned by {found.account.owner}"))
    label = found.account.name or found.account.domain
    return found.account.owner, f"account_owner: {found.account.owner} owns {label}"


def _no_account(lead, match) -> str:
    tried, lacking = [], []
    if Match.DOMAIN in match:
        domain = lead.domain
        if domain:
            tried.append(f"{domain} (a personal mail domain, never an account's)" if is_personal_domain(domain)
                         else domain)
        else:
            lacking.append("email or website domain")
    if Match.COMPANY in match:
        if lead.company:
            tried.append(f"company {lead.company!r}")
        else:
            lacking.append("company")
    return "no account for " + " or ".join(tried) if tried else "lead has no " + " or ".join(lacking)


def existing_owner(rule, ctx: Ctx, indexes, people: KnownPeople | None) -> tuple[str, str] | None:
    got = people.find(ctx.lead) if people is not None else None
    if got is None:
        ctx.trace.append((PERSON, rule.name, "no open lead or contact of this person in the CRM"))
        return None
    person, why = got
    record = f"{person.kind} {person.record_id}" if person.record_id else f"a {person.kind}"
    ctx.trace.append((PERSON, rule.name, f"{person.owner} owns {record} with {why}"))
    return person.owner, f"existing_owner: {person.owner} already owns this person ({why})"


FINDERS: dict[str, Callable] = {Assign.ACCOUNT_OWNER: account_owner, Assign.EXISTING_OWNER: existing_owner}
