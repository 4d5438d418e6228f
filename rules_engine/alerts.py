"""Readiness alerts: ``alert: owner`` rules. When one person owns the relationship the lead is
not reassigned; instead, when it becomes sales-ready (the rule's ``when``, e.g. ``score gte 80``),
its current owner is told, once per crossing.

``decide`` never routes by an alert rule (a lead nobody owns has nobody to tell: the rule is
passed over, said in the trace). For a lead a person owns, ``readiness`` gives the Decision
"alert the current owner" (status ``alert``) of the first alert rule that matches. The
connector keeps which alert rules matched a lead last time and tells the owner only for the ones
that ``crossed`` (false, or never checked, before; true now), so a lead that stays hot is
announced once, and again only after it cooled down and crossed back.
"""
from __future__ import annotations

from typing import Iterable

from .decision import MATCH, NO_MATCH, PICK, Decision, Status
from .errors import ConfigIssue
from .lead import Lead
from .state import StateChanges

_ROUTING_KEYS = ("to", "assign", "pick", "on_empty", "require", "match", "threshold", "window_days",
                 "catch_up", "min_sample", "metric", "guardrail", "sla")


def alert_issues(rule: dict, path: str, issues: list[ConfigIssue]) -> None:
    """An alert rule needs a condition and routes nothing, so it takes no routing keys."""
    if rule.get("alert") is None:
        return
    if rule.get("when") is None:
        issues.append(ConfigIssue(f"{path}.when", "an alert rule needs a condition (when)"))
    for key in _ROUTING_KEYS:
        if key in rule:
            issues.append(ConfigIssue(f"{path}.{key}", f"{key} routes a lead; an alert rule only tells its owner"))


def _compiled(config):
    private = getattr(config, "__pydantic_private__", None)
    return (private.get("_compiled") or config.compiled) if private is not None else config


def matching_alerts(lead: Lead | dict, config) -> tuple[str, ...]:
    """The names of the alert rules whose condition the lead meets now, in config order."""
    lead = lead if isinstance(lead, Lead) else Lead.from_dict(lead)
    return tuple(r.name for r in _compiled(config).rules
                 if r.alert is not None and (r.node is None or r.node.test(lead)))


def crossed(before: Iterable[str], now: Iterable[str]) -> frozenset[str]:
    """Alert rules that match now and did not last time: the ones to tell the owner about."""
    return frozenset(now) - frozenset(before)


def readiness(lead: Lead | dict, config, owner: str) -> Decision | None:
    """"Alert the current owner" (``owner``: their rep id) by the first alert rule the lead
    meets, with its trace; None when no alert rule matches."""
    lead = lead if isinstance(lead, Lead) else Lead.from_dict(lead)
    trace: list[tuple] = []
    for rule in _compiled(config).rules:
        if rule.alert is None:
            continue
        if rule.node is not None and not rule.node.test(lead):
            trace.append((NO_MATCH, rule))
            continue
        trace.append((MATCH, rule))
        trace.append((PICK, rule.name, f"alert:{rule.alert}", owner,
                      f"alert: tell {owner}, the current owner (rule {rule.name}); the lead stays theirs"))
        return Decision(owner, rule.name, Status.ALERT, StateChanges(), trace, lead)
    return None
