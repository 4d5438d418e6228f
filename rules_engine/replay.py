"""Routing leads one after another as the connector would: ``simulate`` and the pending order."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Iterator, Sequence

from .decide import compiled_config, decide
from .decision import Decision, Status
from .lead import Lead
from .people import KnownPeople, KnownPerson, lead_company_domain


def priority_key(lead: Lead):
    """Sort key for pending leads: higher score first, then older first, then id."""
    score = lead.score
    created = lead.created_at.timestamp() if lead.created_at else float("inf")
    return (score is None, -(score or 0.0), created, lead.id or "")


def simulate(leads: Iterable[Lead | dict], config, state, *, now: datetime | None = None,
             priority: bool = False, exclude: frozenset[str] = frozenset(),
             crm: str | Sequence[str] | None = None,
             known_people: KnownPeople | None = None) -> Iterator[tuple[Lead, Decision]]:
    """Route leads one after another, applying each decision's state changes to ``state``
    (which must have ``apply``). A lead's ``created_at`` is its decision time; leads without
    one are decided at ``now``. With an ``assign: existing_owner`` rule, every lead assigned
    becomes a known person, so a later lead of the same person goes to the same owner."""
    cc = compiled_config(config)
    people = known_people if known_people is not None else (KnownPeople() if cc.needs_people else None)
    items: Iterable[Lead] = (x if isinstance(x, Lead) else Lead.from_dict(x) for x in leads)
    if priority:
        items = sorted(items, key=priority_key)
    for lead in items:
        at = lead.created_at or now
        if at is None:
            raise ValueError(f"lead {lead.id!r} has no created_at and no `now` was given")
        decision = decide(lead, cc, state, at, exclude=exclude, crm=crm, known_people=people)
        if decision.state_changes:
            state.apply(decision.state_changes)
        if people is not None and decision.owner and decision.status == Status.ASSIGNED:
            people.add(KnownPerson(decision.owner, lead.id, email=lead.email, first_name=lead.first_name,
                                   last_name=lead.last_name, company_domain=lead_company_domain(lead),
                                   last_activity=at))
        yield lead, decision
