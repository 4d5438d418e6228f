"""decide(): one lead, the config, the state and the time in; a Decision out. Pure."""
from __future__ import annotations

from datetime import datetime
from typing import Mapping, Sequence

from .accounts import AccountIndex
from .choices import TEMPORARY_SKIPS, OnEmpty, QualityAction
from .config import crm_keys
from .decision import (EMPTY, FALLBACK, MATCH, NO_MATCH, PICK, QUALITY, REQUIREMENT, SKIP, WAIT, Decision,
                       Status)
from .eligibility import CRep, Ctx, available_at, base_reason, hard_reason
from .lead import Lead
from .owners import FINDERS
from .people import KnownPeople
from .pickers import Pick, RoundRobin, rep_changes
from .state import RepDelta, StateChanges

FALLBACK_KEY = "__fallback__"  # rotation pointer of a team fallback
_NO_CHANGES = StateChanges()
_ROUND_ROBIN = RoundRobin()
_NOBODY = object()  # an assign: rule found no owner who is a rep: it yields nothing, whatever on_empty says


def compiled_config(config):
    # Fast path: reading the pydantic private attribute directly skips BaseModel.__getattr__.
    private = getattr(config, "__pydantic_private__", None)
    if private is not None:
        return private.get("_compiled") or config.compiled
    return config


def decide(lead: Lead | dict, config, state, now: datetime, *, exclude: frozenset[str] = frozenset(),
           crm: str | Sequence[str] | None = None, accounts: AccountIndex | Mapping[str, str] | None = None,
           known_people: KnownPeople | None = None) -> Decision:
    """Route one lead. ``exclude``: reps who already had it (re-routing after a pass or an SLA
    breach). ``crm``: the connection the lead comes from, as the keys of reps' ``crm:`` owner ids
    to look under (its name, then its kind where the kind has one connection): reps without an
    owner id there are ineligible and the decision carries ``crm_owner_id``. ``accounts``: the
    CRM's accounts (an ``AccountIndex``, built once per fetch; ``{domain: rep id}`` also works),
    matched before the config's. ``known_people``: the CRM's open leads and contacts of the
    batch's people, for ``assign: existing_owner``."""
    cc = compiled_config(config)
    if not isinstance(lead, Lead):
        lead = Lead.from_dict(lead)
    ctx = Ctx(now, state, exclude, crm_keys(crm) or None, lead)
    ctx.memo["seed"] = cc.seed
    junk: tuple[str, ...] = ()
    if cc.quality is not None:
        held = _quality(cc, ctx)
        if isinstance(held, Decision):
            return held
        junk = held
    if accounts is not None and not isinstance(accounts, AccountIndex):
        accounts = AccountIndex.of_domains(accounts)
    indexes = (accounts, cc.accounts) if accounts is not None else (cc.accounts,)
    decision = _route(cc, ctx, indexes, known_people)
    decision.junk = junk
    return decision


def _route(cc, ctx: Ctx, indexes: tuple[AccountIndex, ...], people: KnownPeople | None) -> Decision:
    trace, lead = ctx.trace, ctx.lead
    temporary: list[tuple[CRep, str]] = []
    for rule in cc.rules:
        node = rule.node
        if node is not None and not node.test(lead):
            trace.append((NO_MATCH, rule))
            continue
        trace.append((MATCH, rule))
        if rule.alert is not None:
            trace.append((REQUIREMENT, rule.name, "alerts the owner of a lead a person owns; this one has none"))
            continue
        got = _pick(rule, cc, ctx, temporary) if rule.assign is None else \
            _known_owner(rule, cc, ctx, temporary, FINDERS[rule.assign](rule, ctx, indexes, people))
        if got is _NOBODY:
            continue
        if got is not None:
            return _assigned(got, rule.name, ctx)
        trace.append((EMPTY, rule.name, rule.on_empty))
        if rule.on_empty == OnEmpty.WAIT:
            return _not_assigned(ctx, temporary, rule.name, force_wait=True)
        if rule.on_empty == OnEmpty.FALLBACK:
            break
    return _fallback(cc, ctx, temporary)


def _quality(cc, ctx: Ctx) -> Decision | tuple[str, ...]:
    """Junk: the failed checks in the trace; held, or given to the junk owner (no turn, no load),
    or only tagged (``action: route``, the failed checks' names are returned)."""
    problems = cc.quality.problems(ctx.lead)
    if not problems:
        return ()
    for check, text in problems:
        ctx.trace.append((QUALITY, check, text))
    junk = tuple(str(check) for check, _ in problems)
    action = cc.quality.action
    if action == QualityAction.ROUTE:
        ctx.trace.append(("result", "junk: tagged, routed as usual (quality action route)"))
        return junk
    eligible = _hard_checker("quality", ctx)
    owner = next((rep for rep in cc.quality_owners if eligible(rep)), None)
    if owner is None:
        why = "held unassigned" if action == QualityAction.HOLD else f"nobody of {action} available; held unassigned"
        ctx.trace.append(("result", f"junk: {why}"))
        return Decision(None, None, Status.JUNK, _NO_CHANGES, ctx.trace, ctx.lead, junk=junk)
    ctx.trace.append(("result", f"junk: {owner.id} takes it (quality action {action}), no turn and no load"))
    return Decision(owner.id, None, Status.JUNK, _NO_CHANGES, ctx.trace, ctx.lead,
                    crm_owner_id=_crm_owner_id(owner, ctx), junk=junk)


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


def _known_owner(rule, cc, ctx: Ctx, temporary: list, found: tuple[str, str] | None):
    if found is None:
        return _NOBODY
    owner, why = found
    rep = cc.rep_by_id.get(owner)
    if rep is None:
        ctx.trace.append((REQUIREMENT, rule.name, f"{owner} is not a rep here"))
        return _NOBODY
    prepared = _prepare(rule, cc, ctx)
    if prepared is None or not _checker(rule.name, prepared, ctx, temporary)(rep):
        return None
    ctx.trace.append((PICK, rule.name, rule.assign, rep.id, why))
    return Pick(rep, why)


def _hard_checker(label: str, ctx: Ctx):
    """Only what the fallback and a junk owner honour: excluded, inactive, paused, no CRM owner id."""
    def eligible(rep: CRep) -> bool:
        r = hard_reason(rep, ctx)
        if r is not None:
            ctx.trace.append((SKIP, label, rep.id, r))
        return r is None
    return eligible


def _fallback(cc, ctx: Ctx, temporary: list) -> Decision:
    if cc.fallback:
        got = _ROUND_ROBIN.pick(FALLBACK_KEY, cc.fallback, cc.fallback_index, ctx, _hard_checker("fallback", ctx))
        if got is not None:
            ctx.trace.append((FALLBACK, got.rep.id, f"fallback: {got.rep.id} takes the lead"))
            return _assigned(got if len(cc.fallback) > 1 else Pick(got.rep, got.why), None, ctx)
        ctx.trace.append((FALLBACK, None, "fallback: nobody available"))
    return _not_assigned(ctx, temporary, None, force_wait=False)


def _assigned(pick: Pick, rule: str | None, ctx: Ctx) -> Decision:
    rep = pick.rep
    delta = RepDelta(open=1, last_assigned=ctx.epoch, counts=ctx.keys(rep))
    changes = StateChanges(rotation=pick.rotation or {}, credits=pick.credits or {},
                           reps=rep_changes(pick, delta, ctx.epoch))
    return Decision(rep.id, rule, Status.ASSIGNED, changes, ctx.trace, ctx.lead, crm_owner_id=_crm_owner_id(rep, ctx))


def _crm_owner_id(rep: CRep, ctx: Ctx) -> str | None:
    return next((rep.crm[key] for key in ctx.crm if key in rep.crm), None) if ctx.crm else None


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
