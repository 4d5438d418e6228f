"""The Decision value and its trace.

``decide`` records a compact trace (tuples with precomputed sentences); ``Decision.trace``
renders it once, on first access, into JSON-able dicts that each carry a human ``text``.
Rendering is deterministic: the lead and config it reads are immutable.
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from .conditions import explain
from .state import StateChanges


class Status(str, Enum):
    ASSIGNED = "assigned"
    WAITING = "waiting"        # retry when a candidate becomes available (see retry_after)
    UNROUTABLE = "unroutable"  # no rule can place it and no fallback took it
    JUNK = "junk"              # failed a quality check (see `quality:`): no turn, no load
    ALERT = "alert"            # an `alert: owner` rule matched a lead a person owns: tell them (alerts.py)


# compact trace kinds
MATCH, NO_MATCH, SKIP, REQUIREMENT, ACCOUNT, PERSON, PICK, EMPTY, FALLBACK, WAIT, QUALITY = (
    "match", "no_match", "skip", "requirement", "account", "person", "pick", "empty", "fallback", "wait", "quality")

_EMPTY_TEXT = {"next": "trying the next rule", "fallback": "going to the fallback",
               "wait": "the lead waits for a candidate"}


class Decision:
    __slots__ = ("owner", "rule", "status", "state_changes", "retry_after", "crm_owner_id",
                 "lead", "junk", "_compact", "_trace")

    def __init__(self, owner: str | None, rule: str | None, status: Status, state_changes: StateChanges,
                 compact: list[tuple], lead, retry_after: datetime | None = None,
                 crm_owner_id: str | None = None, junk: tuple[str, ...] = ()):
        self.owner, self.rule, self.status = owner, rule, status
        self.state_changes, self.retry_after, self.crm_owner_id = state_changes, retry_after, crm_owner_id
        self.lead, self.junk, self._compact, self._trace = lead, junk, compact, None  # junk: failed checks

    def __repr__(self) -> str:
        return f"Decision(owner={self.owner!r}, rule={self.rule!r}, status={self.status.value})"

    @property
    def trace(self) -> list[dict[str, Any]]:
        if self._trace is None:
            self._trace = [render(entry, self.lead) for entry in self._compact]
        return self._trace

    def explain(self) -> list[str]:
        """The trace as sentences, e.g. 'ana: outside hours 09:00-18:00 America/Sao_Paulo'."""
        return [step["text"] for step in self.trace]

    def to_dict(self) -> dict[str, Any]:
        out = {"lead": self.lead.id if self.lead is not None else None, "owner": self.owner,
               "rule": self.rule, "status": self.status.value, "trace": self.trace}
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after.isoformat()
        if self.crm_owner_id is not None:
            out["crm_owner_id"] = self.crm_owner_id
        if self.junk:
            out["junk"] = list(self.junk)
        return out


def render(entry: tuple, lead) -> dict[str, Any]:
    kind = entry[0]
    if kind == MATCH:
        rule = entry[1]
        why = f"matched ({_bare(rule.node.text)})" if rule.node is not None else "applies to every lead"
        return {"step": "rule", "rule": rule.name, "result": "matched", "text": f"rule {rule.name}: {why}"}
    if kind == NO_MATCH:
        rule = entry[1]
        return {"step": "rule", "rule": rule.name, "result": "no_match",
                "text": f"rule {rule.name}: no match ({explain(rule.node, lead)})"}
    if kind == SKIP:
        _, rule, rep, (code, text) = entry
        return {"step": "candidate", "rule": rule, "rep": rep, "result": "skipped", "reason": str(code), "text": text}
    if kind == PICK:
        _, rule, picker, rep, text = entry
        return {"step": "pick", "rule": rule, "picker": picker, "rep": rep, "text": text}
    if kind == EMPTY:
        _, rule, on_empty = entry
        return {"step": "empty", "rule": rule, "on_empty": on_empty,
                "text": f"rule {rule}: no eligible rep; {_EMPTY_TEXT[on_empty]}"}
    if kind == QUALITY:
        _, check, text = entry
        return {"step": "quality", "check": str(check), "text": f"quality: {text}"}
    if kind in (REQUIREMENT, ACCOUNT, PERSON):
        _, rule, text = entry
        return {"step": kind, "rule": rule, "text": f"rule {rule}: {text}"}
    if kind == FALLBACK:
        _, rep, text = entry
        return {"step": "fallback", "rep": rep, "text": text}
    _, text = entry
    return {"step": kind, "text": text}


def _bare(text: str) -> str:
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text
