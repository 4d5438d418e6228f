"""Notify targets (`slack:rep`, `slack:team`, `slack:#channel`, `email:rep`, `email:manager`,
`email:<address>`) resolved to outbox rows' (channel, target) for one rep and rule.

Who a rep is comes from the routing config (name, email, Slack id), completed by the roster
synced from the CRM (name, email) when the config leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.orm import Session

from connector.routing.models import Rep as RosterRep


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    email: str | None = None
    slack: str | None = None


@dataclass(frozen=True)
class Target:
    channel: str        # slack | email
    target: str         # what the notifier gets (see base.Message.target)
    to_rep: bool        # the assigned rep themself: their messages carry Accept / Pass


def contact(session: Session, config: Any, rep_id: str | None) -> Contact | None:
    if not rep_id:
        return None
    model = config.rep(rep_id) if config is not None else None
    roster = session.get(RosterRep, rep_id)
    name = (model.name if model else None) or (roster.name if roster else None) or rep_id
    email = (model.email if model else None) or (roster.email if roster else None)
    return Contact(rep_id, name, email, model.slack if model else None)


def default_targets(settings: Any) -> list[str]:
    """No `notify` in the config: a Slack DM when Slack is set up, else an email when SMTP is,
    else nobody (nothing is queued that could only fail)."""
    if settings.slack_bot_token:
        return ["slack:rep"]
    return ["email:rep"] if settings.smtp_url else []


def _rep(channel: str, rep: Contact | None, teams: list) -> list[Target]:
    if rep is None:
        return []
    address = (rep.slack or rep.email) if channel == "slack" else rep.email
    return [Target(channel, address, True)] if address else []


def _team(channel: str, rep: Contact | None, teams: list) -> list[Target]:
    return [Target(channel, t.channel, False) for t in teams if t.channel][:1]


def _manager(channel: str, rep: Contact | None, teams: list) -> list[Target]:
    return [Target(channel, t.manager, False) for t in teams if t.manager][:1]


RESOLVERS: dict[str, Callable[[str, Contact | None, list], list[Target]]] = {
    "rep": _rep, "team": _team, "manager": _manager,
}


def resolve(specs: list[str], rep: Contact | None, teams: list, *, only_rep: bool = False) -> list[Target]:
    """Specs to unique targets, in order; a spec that resolves to nobody (a rep without an email,
    a team without a manager) is dropped."""
    out: list[Target] = []
    for spec in specs:
        channel, _, name = spec.partition(":")
        resolver = RESOLVERS.get(name)
        found = resolver(channel, rep, teams) if resolver else [Target(channel, name, False)]
        for item in found:
            if (not only_rep or item.to_rep) and all((o.channel, o.target) != (item.channel, item.target) for o in out):
                out.append(item)
    return out


def escalation_specs(escalate_to: list[str] | None) -> list[str]:
    return list(escalate_to) if escalate_to else ["email:manager", "slack:team"]
