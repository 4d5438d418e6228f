"""decide(): one lead, the config, the state and the time in; a Decision out. Pure."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Iterator, Mapping, Sequence

from .config import crm_keys
from .decision import (ACCOUNT, EMPTY, FALLBACK, MATCH, NO_MATCH, PICK, REQUIREMENT, SKIP, WAIT,
                       Decision, Status)
from .choices import TEMPORARY_SKIPS, OnEmpty
from .eligibility import CRep, Ctx, available_at, base_reason, hard_reason
from .lead import Lead
from .pickers import Pick, RoundRobin
from .state import RepDelta, StateChanges
from .text import domain_matches

FALLBACK_KEY = "__fallback__"  # rotation pointer of a team fallback
_NO_CHANGES = StateChanges()
_ROUND_ROBIN = RoundRobin()
_NO_ACCOUNT = object()


def _compiled(config):
    # Fast path: reading the pydantic private attribute directly skips BaseModel.__getattr__.
    private = getattr(config, "__pydantic_private__", None)
    if private is not None:
        return private.get("_compiled") or config.compiled
    return config


def decide(lead: Lead | dict, config, state, now: datetime, *, exclude: frozenset[str] = frozenset(),
           crm: str | Sequence[str] | None = None, accounts: Mapping[str, str] | None = None) -> Decision:
    """Route one lead. ``exclude``: reps who already had it (re-routing after a pass or an SLA
    breach). ``crm``: the connection the lead comes from, as the keys of reps' ``crm:`` owner ids
    to look under (its name, then its kind where the kind has one connection): reps without an
    owner id there are ineligible and the decision carries ``crm_owner_id``. ``accounts``:
    domain -> rep id from the CRM, consulted before the config's accounts."""
    cc = _compiled(config)
    if not isinstance(lead, Lead):
        lead = Lead.from_dict(lead)
    ctx = Ctx(now, state, exclude, crm_keys(crm) or None, lead)
    ctx.memo["seed"] = cc.seed
    trace = ctx.trace
    temporary: list[tuple[CRep, str]] = []
    for rule in cc.rules:
        node = rule.node
        if node is not None and not node.test(lead):
            trace.append((NO_MATCH, rule))
            continue
        trace.append((MATCH, rule))
        if rule.account:
            got = _account_owner(rule, cc, ctx, accounts, temporary)
        else:
            got = _pick(rule, cc, ctx, temporary)
        if got is _NO_ACCOUNT:
            continue  # no account matched: the rule yields nothing, whatever on_empty says
        if got is not None:
            return _assigned(got, rule.name, ctx)
        trace.append((EMPTY, rule.name, rule.on_empty))
        if rule.on_empty == OnEmpty.WAIT:
            return _not_assigned(ctx, temporary, rule.name, force_wait=True)
        if rule.on_empty == OnEmpty.FALLBACK:
            break
    return _fallback(cc, ctx, temporary)


def _checker(rule_name: str, prepared: list, ctx: Ctx, temporary: list):
    trace = ctx.trace

    def eligible(rep: CRep) -> bool:
        for check in prepared:
            r = check(rep)
            if r is not None:
                trace.append((SKIP, rule_name, rep.id, r))
                return False
        r = base_reason(rep, ctx)
        if r is None:
            return True
        trace.append((SKIP, rule_name, rep.id, r))
        if r[0] in TEMPORARY_SKIPS:
            temporary.append((rep, r[0]))
        return False
    return eligible


def _prepare(rule, cc, ctx: Ctx) -> list | None:
    prepared = []
    for req in rule.requirements:
        p = req.prepare(ctx, cc)
        if isinstance(p, str):
            ctx.trace.append((REQUIREMENT, rule.name, p))
            return None
        prepared.append(p)
    return prepared


def _pick(rule, cc, ctx: Ctx, temporary: list):
    prepared = _prepare(rule, cc, ctx)
    if prepared is None:
        return None
    eligible = _checker(rule.name, prepared, ctx, temporary)
    got = rule.picker.pick(rule.name, rule.candidates, rule.cand_index, ctx, eligible)
    if got is not None:
        ctx.trace.append((PICK, rule.name, rule.picker.name, got.rep.id, got.why))
    return got


def _account_owner(rule, cc, ctx: Ctx, accounts, temporary: list):
    lead = ctx.lead
    owner = domain = None
    for table in (accounts or {}, cc.accounts):
        for d in (lead.email_domain, lead.website_domain):
            domain = domain_matches(d, table) if table else None
            if domain:
                owner = table[domain]
                break
        if owner:
            break
    if owner is None:
        where = lead.email_domain or lead.website_domain
        ctx.trace.append((ACCOUNT, rule.name, f"no account for {where}" if where else "lead has no email or website domain"))
        return _NO_ACCOUNT
    rep = cc.rep_by_id.get(owner)
    if rep is None:
        ctx.trace.append((ACCOUNT, rule.name, f"account {domain} is owned by {owner}, who is not a rep here"))
        return _NO_ACCOUNT
    ctx.trace.append((ACCOUNT, rule.name, f"account {domain} is owned by {owner}"))
    prepared = _prepare(rule, cc, ctx)
    if prepared is None or not _checker(rule.name, prepared, ctx, temporary)(rep):
        return None
    why = f"account_owner: {rep.id} owns {domain}"
    ctx.trace.append((PICK, rule.name, "account_owner", rep.id, why))
    return Pick(rep, why)


def _fallback(cc, ctx: Ctx, temporary: list) -> Decision:
    if cc.fallback:
        def eligible(rep):
            r = hard_reason(rep, ctx)
            if r is not None:
                ctx.trace.append((SKIP, "fallback", rep.id, r))
            return r is None
        got = _ROUND_ROBIN.pick(FALLBACK_KEY, cc.fallback, cc.fallback_index, ctx, eligible)
        if got is not None:
            ctx.trace.append((FALLBACK, got.rep.id, f"fallback: {got.rep.id} takes the lead"))
            return _assigned(got if len(cc.fallback) > 1 else Pick(got.rep, got.why), None, ctx)
        ctx.trace.append((FALLBACK, None, "fallback: nobody available"))
    return _not_assigned(ctx, temporary, None, force_wait=False)


def _assigned(pick: Pick, rule: str | None, ctx: Ctx) -> Decision:
    rep = pick.rep
    delta = RepDelta(open=1, last_assigned=ctx.epoch, counts=ctx.keys(rep))
    changes = StateChanges(rotation=pick.rotation or {}, credits=pick.credits or {}, reps={rep.id: delta})
    crm_id = next((rep.crm[key] for key in ctx.crm if key in rep.crm), None) if ctx.crm else None
    return Decision(rep.id, rule, Status.ASSIGNED, changes, ctx.trace, ctx.lead, crm_owner_id=crm_id)


def _not_assigned(ctx: Ctx, temporary: list, rule: str | None, force_wait: bool) -> Decision:
    """Waiting when time or an admin can fix it (someone temporarily unavailable, or a rule
    said wait); unroutable when no candidate could ever take this lead under this config."""
    if not (force_wait or temporary):
        ctx.trace.append(("result", "unroutable: no rule can place this lead and no fallback took it"))
        return Decision(None, rule, Status.UNROUTABLE, _NO_CHANGES, ctx.trace, ctx.lead)
    times = [t for t in (available_at(rep, code, ctx.now) for rep, code in temporary) if t is not None]
    retry = min(times) if times else None
    ctx.trace.append((WAIT, "waiting: retry " + (f"at {retry.isoformat()} at the earliest" if retry
                                                else "when a rep is unpaused or frees capacity")))
    return Decision(None, rule, Status.WAITING, _NO_CHANGES, ctx.trace, ctx.lead, retry_after=retry)


def priority_key(lead: Lead):
    """Sort key for pending leads: higher score first, then older first, then id."""
    score = lead.score
    created = lead.created_at.timestamp() if lead.created_at else float("inf")
    return (score is None, -(score or 0.0), created, lead.id or "")


def simulate(leads: Iterable[Lead | dict], config, state, *, now: datetime | None = None,
             priority: bool = False, exclude: frozenset[str] = frozenset(),
             crm: str | Sequence[str] | None = None) -> Iterator[tuple[Lead, Decision]]:
    """Route leads one after another as the connector would, applying each decision's state
    changes to ``state`` (which must have ``apply``). A lead's ``created_at`` is its decision
    time; leads without one are decided at ``now``."""
    cc = _compiled(config)
    items: Iterable[Lead] = (x if isinstance(x, Lead) else Lead.from_dict(x) for x in leads)
    if priority:
        items = sorted(items, key=priority_key)
    for lead in items:
        at = lead.created_at or now
        if at is None:
            raise ValueError(f"lead {lead.id!r} has no created_at and no `now` was given")
        decision = decide(lead, cc, state, at, exclude=exclude, crm=crm)
        if decision.state_changes:
            state.apply(decision.state_changes)
        yield lead, decision
