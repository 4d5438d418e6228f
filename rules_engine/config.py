"""The routing config model (pydantic), loading and export.

``load_config`` = parse (YAML/JSON text or dict) -> structural validation (pydantic) ->
semantic validation and compilation (``compiled.build``). Every problem found is reported at
once, each with its path; nothing is returned unless everything is valid.
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Any, Literal, Sequence

import yaml
from pydantic import (AfterValidator, ConfigDict, Field, PrivateAttr, ValidationError, field_validator,
                      model_validator)

from .accounts import Account
from .base import Model as _Model
from .base import listify as _listify
from .choices import Alert, Assign, LadderStep, Match, Metric, OnEmpty
from .days_off import HolidayCalendar
from .errors import ConfigError, ConfigIssue, format_path
from .geo import has_subdivisions, normalize_country, subdivision_code
from .hours import load_zone, parse_hours
from .performance import Guardrail
from .quality import Quality

ID_PATTERN = r"^[a-z0-9_.-]+$"
CRM_KINDS = ("salesforce", "hubspot")
CONNECTION_KEY = re.compile(r"^[a-z0-9_-]{1,64}$")
# Notifications and the SLA loop (read by connector/notify; decide() ignores them).
NOTIFY_TARGETS = {
    "slack": {"rep": "a direct message to the assigned rep", "team": "the team's channel",
              "#<channel>": "a channel by name", "<channel id>": "a channel by id (C…/G…)"},
    "email": {"rep": "the assigned rep's email", "manager": "the team manager's email",
              "<address>": "a fixed address"},
}
_SLACK_CHANNEL = re.compile(r"^(#[a-z0-9_-]{1,80}|[CG][A-Z0-9]{6,})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_notify_target(value: str) -> str:
    """`slack:rep`, `slack:team`, `slack:#channel`, `slack:C0123ABCD`, `email:rep`,
    `email:manager`, `email:someone@example.com`."""
    channel, sep, target = str(value).partition(":")
    if not sep or channel not in NOTIFY_TARGETS:
        raise ValueError(f"bad notify target {value!r}: use slack:rep, slack:team, slack:#channel, "
                         "email:rep, email:manager or email:<address>")
    ok = (target in ("rep", "team") or bool(_SLACK_CHANNEL.match(target))) if channel == "slack" else \
        (target in ("rep", "manager") or bool(_EMAIL.match(target)))
    if not ok:
        raise ValueError(f"bad {channel} target {target!r}; one of: {', '.join(NOTIFY_TARGETS[channel])}")
    return f"{channel}:{target}"


NotifyTarget = Annotated[str, AfterValidator(check_notify_target)]


def _targets_list(v):
    return _listify(v) if v is not None else v




class Away(_Model):
    from_: date = Field(alias="from")
    to: date
    note: str | None = None
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self):
        if self.to < self.from_:
            raise ValueError("'to' is before 'from'")
        return self


class Territory(_Model):
    country: str
    state: list[str] | None = None
    postal: list[str] | None = None

    _lists = field_validator("state", "postal", mode="before")(lambda cls, v: _listify(v))

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        code = normalize_country(v)
        if not code:
            raise ValueError(f"unknown country {v!r}")
        return code

    @model_validator(mode="after")
    def _states(self):
        unknown = [s for s in self.state or () if has_subdivisions(self.country)
                   and subdivision_code(s, self.country) is None]
        if unknown:
            raise ValueError(f"unknown state {unknown[0]!r} in {self.country}")
        return self


def crm_keys(crm: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"hubspot"`` or ``("hubspot-eu", "hubspot")`` as a tuple of keys of reps' ``crm:``."""
    if crm is None:
        return ()
    return (crm,) if isinstance(crm, str) else tuple(crm)


class Rep(_Model):
    id: str = Field(pattern=ID_PATTERN)
    name: str | None = None
    email: str | None = None
    crm: dict[str, str] = Field(default_factory=dict)
    slack: str | None = None
    timezone: str | None = None
    hours: dict[str, str] | None = None
    away: list[Away] = Field(default_factory=list)
    holidays: HolidayCalendar | None = None   # default: the calendars of the rep's teams
    active: bool = True
    weight: int = Field(default=1, ge=1)
    skills: list[str] = Field(default_factory=list)
    territories: list[Territory] = Field(default_factory=list)
    max_open: int | None = Field(default=None, ge=0)
    hourly_cap: int | None = Field(default=None, ge=0)
    daily_cap: int | None = Field(default=None, ge=0)
    weekly_cap: int | None = Field(default=None, ge=0)
    paused: bool = False

    @field_validator("crm", mode="before")
    @classmethod
    def _crm(cls, v):
        # Keys are connection names (`hubspot-eu`), or a CRM kind as shorthand when the kind
        # has one connection: the connector, which knows the connections, picks the key.
        if isinstance(v, dict):
            bad = [k for k in v if not (isinstance(k, str) and CONNECTION_KEY.match(k))]
            if bad:
                raise ValueError(f"{bad[0]!r} is not a connection name or a CRM kind "
                                 f"({', '.join(CRM_KINDS)}, or lowercase letters, digits, - and _)")
            return {k: str(x) for k, x in v.items()}
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v):
        if v is not None:
            load_zone(v)
        return v

    @field_validator("hours")
    @classmethod
    def _hours(cls, v):
        if v is not None:
            parse_hours(v)
        return v


class Team(_Model):
    id: str = Field(pattern=ID_PATTERN)
    name: str | None = None
    members: list[str]
    manager: str | None = Field(default=None, pattern=_EMAIL.pattern)   # email: escalations, pauses
    channel: str | None = Field(default=None, pattern=_SLACK_CHANNEL.pattern)  # `slack:team`, digest
    holidays: HolidayCalendar | None = None   # for members without their own


class Sla(_Model):
    """First touch within `minutes` of the assignment; on breach walk `ladder`, one step every
    `every` minutes (default: `minutes`)."""
    minutes: int = Field(ge=1, le=7 * 24 * 60)
    ladder: list[LadderStep] = Field(default_factory=lambda: [LadderStep.REMIND.value], min_length=1,
                                     max_length=10)
    every: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    escalate_to: list[NotifyTarget] | None = Field(default=None, min_length=1)  # default: manager + team channel

    _escalate = field_validator("escalate_to", mode="before")(lambda cls, v: _targets_list(v))

    @property
    def step_minutes(self) -> int:
        return self.every or self.minutes


class AutoPause(_Model):
    after_breaches: int = Field(ge=1, le=100)   # K leads in a row breached -> the rep is paused


class Digest(_Model):
    at: str = Field(default="08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")  # config time zone
    to: list[NotifyTarget] | None = Field(default=None, min_length=1)  # default: each team's channel + manager

    _to = field_validator("to", mode="before")(lambda cls, v: _targets_list(v))


class Rule(_Model):
    name: str = Field(min_length=1)
    description: str | None = None
    enabled: bool = True
    when: Any = None                  # validated and compiled by conditions.compile_condition
    assign: Assign | None = None
    match: list[Match] | None = None  # assign: account_owner: the evidence to use (default [domain])
    threshold: float | None = Field(default=None, ge=50, le=100)  # company-name score to accept (default 88)
    to: list[str] | None = None
    require: list[Any] = Field(default_factory=list)
    pick: str = "round_robin"
    on_empty: OnEmpty = OnEmpty.NEXT.value
    alert: Alert | None = None        # instead of routing: tell the owner of an owned lead (alerts.py)
    window_days: int | None = Field(default=None, ge=1, le=31)  # balanced / guardrail window (default 7)
    catch_up: int | None = Field(default=None, ge=0, le=100)    # balanced: leads a capped rep may make up
    min_sample: int | None = Field(default=None, ge=0)          # top_performer: below it, the pool's rate
    metric: Metric | None = None      # top_performer: conversion (default) or speed
    guardrail: Guardrail | None = None  # no rep above max_share x fair share in the window
    notify: list[NotifyTarget] | None = None   # default: the config's `notify`, else the connector's default
    sla: Sla | None = None            # default: the config's `sla`

    _to = field_validator("to", mode="before")(lambda cls, v: _listify(v))
    _match = field_validator("match", mode="before")(lambda cls, v: _listify(v))
    _notify = field_validator("notify", mode="before")(lambda cls, v: _targets_list(v))


class RoutingConfig(_Model):
    version: Literal[1] = 1
    timezone: str = "UTC"
    seed: int = 0                     # seeds the `random` picker
    reps: list[Rep] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    quality: Quality | None = None    # junk checks before any rule (absent: none)
    rules: list[Rule] = Field(default_factory=list)
    fallback: str | None = None       # rep:X, team:X, or none
    notify: list[NotifyTarget] | None = None   # default notify targets for every rule and the fallback
    sla: Sla | None = None            # default SLA for every rule and the fallback
    auto_pause: AutoPause | None = None
    digest: Digest | None = None

    _compiled: Any = PrivateAttr(default=None)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v):
        load_zone(v)
        return v

    _notify = field_validator("notify", mode="before")(lambda cls, v: _targets_list(v))

    @field_validator("fallback", mode="before")
    @classmethod
    def _none(cls, v):
        return None if v is None or (isinstance(v, str) and v.strip().lower() == "none") else v

    def __eq__(self, other) -> bool:
        # The compiled private attribute refers back to the model; compare the data only.
        return isinstance(other, RoutingConfig) and self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]

    # --- helpers the connector uses ---------------------------------------------------------------
    def rep(self, rep_id: str) -> Rep | None:
        return self.compiled.rep_models.get(rep_id)

    def crm_owner_id(self, rep_id: str, crm: str | Sequence[str]) -> str | None:
        """The rep's owner id in a connection, or None. ``crm``: the keys to look under, in
        order (the connection's name, then its kind where the kind is shorthand)."""
        rep = self.rep(rep_id)
        if rep is None:
            return None
        return next((rep.crm[key] for key in crm_keys(crm) if key in rep.crm), None)

    def rule(self, name: str | None) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None) if name else None

    def notify_for(self, rule_name: str | None) -> list[str] | None:
        """The rule's notify targets, else the config's; None = the connector's default."""
        rule = self.rule(rule_name)
        return rule.notify if rule is not None and rule.notify is not None else self.notify

    def sla_for(self, rule_name: str | None) -> Sla | None:
        rule = self.rule(rule_name)
        return rule.sla if rule is not None and rule.sla is not None else self.sla

    def teams_of(self, rep_id: str, rule_name: str | None = None) -> list[Team]:
        """The rep's teams, those the rule targets first (whose manager / channel to tell)."""
        rule = self.rule(rule_name)
        named = [t.partition(":")[2] for t in (rule.to or []) if t.startswith("team:")] if rule else []
        teams = [t for t in self.teams if rep_id in t.members]
        return sorted(teams, key=lambda t: (t.id not in named, named.index(t.id) if t.id in named else 0))

    def rep_for_owner(self, crm: str | Sequence[str], owner_id: str) -> str | None:
        """Reverse of crm_owner_id: which rep a CRM owner id belongs to."""
        index = self.compiled.owner_index
        return next((index[(key, str(owner_id))] for key in crm_keys(crm) if (key, str(owner_id)) in index), None)

    @property
    def compiled(self):
        if self._compiled is None:
            from .compiled import build
            issues: list[ConfigIssue] = []
            self._compiled = build(self, self.model_dump(by_alias=True), issues)
            if issues:
                raise ConfigError(issues)
        return self._compiled


def _parse_text(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ConfigError([ConfigIssue("", "not valid YAML or JSON: nested too deeply")]) from None
    except ValueError:
        pass
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # C parser when built
    except RecursionError:
        raise ConfigError([ConfigIssue("", "not valid YAML or JSON: nested too deeply")]) from None
    except (ValueError, OverflowError) as exc:  # a value the YAML constructor cannot hold (a 5,000-digit int)
        raise ConfigError([ConfigIssue("", f"not valid YAML or JSON: {str(exc)[:120]}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError([ConfigIssue("", f"not valid YAML or JSON{where}: {getattr(exc, 'problem', exc)}")]) from None


def _pydantic_issues(exc: ValidationError) -> list[ConfigIssue]:
    out = []
    for err in exc.errors():
        raw = list(err["loc"])
        # Drop pydantic's union tags ("function-after[...]"), never the last part: that is the
        # offending key itself, whatever characters it has.
        loc = [p for p in raw[:-1] if not (isinstance(p, str) and "[" in p)] + raw[-1:]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {str(raw[-1])!r}" if raw else "unknown key"
        out.append(ConfigIssue(format_path(loc), msg))
    return out


def load_config(data: dict | str) -> RoutingConfig:
    """Validate and compile a routing config; raises ConfigError listing every problem."""
    from .compiled import build, semantic_issues
    if isinstance(data, (str, bytes)):
        data = _parse_text(data.decode() if isinstance(data, bytes) else data)
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue("", "a routing config must be a mapping")])
    issues: list[ConfigIssue] = []
    model = None
    try:
        model = RoutingConfig.model_validate(data)
    except ValidationError as exc:
        issues.extend(_pydantic_issues(exc))
    issues.extend(i for i in semantic_issues(data) if i not in issues)
    if issues or model is None:
        raise ConfigError(issues)
    compiled = build(model, data, issues)
    if issues:
        raise ConfigError(issues)
    model._compiled = compiled
    return model


def dump_config(config: RoutingConfig) -> dict:
    """A plain dict for export (YAML/JSON); ``load_config(dump_config(c))`` equals ``c``."""
    return config.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True) | {"version": 1}
