"""Semantic validation and compilation of a RoutingConfig into indexed, hot-path structures."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .accounts import AccountIndex
from .choices import Assign, Match
from .conditions import Node, compile_condition
from .days_off import days_off_for
from .errors import ConfigIssue
from .geo import compile_postal_pattern, normalize_state
from .hours import away_bounds, load_zone, parse_hours
from .eligibility import REQUIREMENTS, CRep
from .alerts import alert_issues
from .performance import option_issues
from .pickers import PICKERS, picker_for
from .quality import QualityGate


DEFAULT_THRESHOLD = 88.0   # company-name similarity an account match needs (0..100)


@dataclass
class CRule:
    name: str
    index: int
    node: Node | None
    assign: str | None             # an Assign, or None: pick among `to`
    candidates: tuple[CRep, ...]
    cand_index: dict[str, int]
    requirements: tuple
    picker: Any
    on_empty: str
    match: frozenset[str] = frozenset({Match.DOMAIN})
    threshold: float = DEFAULT_THRESHOLD
    alert: str | None = None       # an Alert: tells the owner of an owned lead, never routes (alerts.py)

    @property
    def account(self) -> bool:
        return self.assign == Assign.ACCOUNT_OWNER


@dataclass
class CompiledConfig:
    model: Any
    reps: tuple[CRep, ...]
    rep_by_id: dict[str, CRep]
    rules: tuple[CRule, ...]
    fallback: tuple[CRep, ...] | None
    fallback_index: dict[str, int]
    accounts: AccountIndex          # the config's own accounts
    seed: int
    rep_models: dict[str, Any] = field(default_factory=dict)
    owner_index: dict[tuple[str, str], str] = field(default_factory=dict)
    territories: dict[str, "TerritoryIndex"] = field(default_factory=dict)  # by country
    quality: QualityGate | None = None
    quality_owners: tuple[CRep, ...] = ()        # a junk lead's owner (action rep:X / team:X)

    @property
    def needs_accounts(self) -> bool:
        """A rule matches accounts: the connector should pass the CRM's (``decide(accounts=)``)."""
        return any(r.assign == Assign.ACCOUNT_OWNER for r in self.rules)

    @property
    def needs_people(self) -> bool:
        """A rule routes to an existing owner: the connector should pass ``known_people``."""
        return any(r.assign == Assign.EXISTING_OWNER for r in self.rules)

    def territory_matches(self, lead) -> frozenset[str]:
        index = self.territories.get(lead.country or "")
        return index.match(lead) if index else frozenset()


class TerritoryIndex:
    """One country's territories: whole-country reps, reps by state, and the few entries with
    postal patterns, which are the only ones tested one by one."""

    def __init__(self) -> None:
        self.whole: set[str] = set()
        self.by_state: dict[str, set[str]] = {}
        self.postal: list[tuple[str, frozenset | None, tuple]] = []

    def add(self, rid: str, states: frozenset | None, postal: tuple | None) -> None:
        if postal is not None:
            self.postal.append((rid, states, postal))
        elif states is None:
            self.whole.add(rid)
        else:
            for s in states:
                self.by_state.setdefault(s, set()).add(rid)

    def match(self, lead) -> frozenset[str]:
        out = self.whole | self.by_state.get(lead.state, set())
        code = lead.postal_code
        if code:
            for rid, states, patterns in self.postal:
                if (states is None or lead.state in states) and any(p.match(code) for p in patterns):
                    out.add(rid)
        return frozenset(out)


def _targets(spec, path: str, rep_ids: set, team_ids: set, issues: list[ConfigIssue]) -> None:
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        issues.append(ConfigIssue(path, "needs at least one target (team:X or rep:X)"))
    for i, t in enumerate(items):
        p = f"{path}[{i}]" if isinstance(spec, list) else path
        kind, _, name = str(t).partition(":")
        if kind == "team" and name not in team_ids:
            issues.append(ConfigIssue(p, f"unknown team {name!r}"))
        elif kind == "rep" and name not in rep_ids:
            issues.append(ConfigIssue(p, f"unknown rep {name!r}"))
        elif kind not in ("team", "rep"):
            issues.append(ConfigIssue(p, f"bad target {t!r} (use team:<id> or rep:<id>)"))


def _requirements(spec, path: str, issues: list[ConfigIssue]) -> list:
    out = []
    for i, item in enumerate(spec if isinstance(spec, list) else []):
        if isinstance(item, str):
            name, args = item, None
        elif isinstance(item, dict) and len(item) == 1:
            name, args = next(iter(item.items()))
        else:
            issues.append(ConfigIssue(f"{path}[{i}]", "a requirement is a name or {name: arguments}"))
            continue
        req = REQUIREMENTS.get(name)
        if req is None:
            issues.append(ConfigIssue(f"{path}[{i}]", f"unknown requirement {name!r}; one of: {', '.join(REQUIREMENTS)}"))
            continue
        compiled = req.compile(args, f"{path}[{i}]" + ("" if isinstance(item, str) else f".{name}"), issues)
        if compiled is not None:
            out.append(compiled)
    return out


_NEEDS_TEAM = {"email:manager": ("manager", "a manager"), "slack:team": ("channel", "a channel")}


def _notify_issues(targets, path: str, teams: list[dict], issues: list[ConfigIssue]) -> None:
    """`email:manager` / `slack:team` need a team (of the rule, else any) with that field."""
    for j, target in enumerate(targets if isinstance(targets, list) else []):
        need = _NEEDS_TEAM.get(target)
        if need and not any(isinstance(t.get(need[0]), str) for t in teams):
            issues.append(ConfigIssue(f"{path}[{j}]", f"{target}: no team of this rule has {need[1]}"))


def _default_team_targets(given, path: str, teams: list[dict], issues: list[ConfigIssue],
                          message: str = "no team of this rule has a manager or a channel to tell") -> None:
    if given is None and not any(isinstance(t.get("manager"), str) or isinstance(t.get("channel"), str)
                                 for t in teams):
        issues.append(ConfigIssue(path, message))


def _sla_issues(sla, path: str, teams: list[dict], issues: list[ConfigIssue]) -> None:
    if not isinstance(sla, dict):
        return
    _notify_issues(sla.get("escalate_to"), f"{path}.escalate_to", teams, issues)
    ladder = sla.get("ladder") if isinstance(sla.get("ladder"), list) else []
    if "escalate" in ladder:
        _default_team_targets(sla.get("escalate_to"), f"{path}.ladder[{ladder.index('escalate')}]", teams, issues)


def _rule_teams(rule: dict, all_teams: list[dict]) -> list[dict]:
    to = rule.get("to")
    if rule.get("assign") in tuple(Assign) or not isinstance(to, (list, str)):
        return all_teams
    names = [str(t) for t in (to if isinstance(to, list) else [to])]
    reps = {n.partition(":")[2] for n in names if n.startswith("rep:")}
    return [t for t in all_teams if f"team:{t.get('id')}" in names
            or reps & set(t.get("members") if isinstance(t.get("members"), list) else [])]


def _rule_target_issues(rule: dict, path: str, rep_ids: set, team_ids: set, issues: list[ConfigIssue]) -> None:
    """`to` or `assign` (not both); `match` and `threshold` only with assign: account_owner."""
    assign = rule.get("assign")
    if assign is not None:
        if rule.get("to") is not None:
            issues.append(ConfigIssue(f"{path}.to", f"use either assign: {assign} or to, not both"))
    elif rule.get("to") is None:
        issues.append(ConfigIssue(path, "a rule needs `to` (team:X / rep:X) or `assign` "
                                        f"({', '.join(a.value for a in Assign)})"))
    else:
        _targets(rule["to"], f"{path}.to", rep_ids, team_ids, issues)
    for key in ("match", "threshold"):
        if key in rule and assign != Assign.ACCOUNT_OWNER:
            issues.append(ConfigIssue(f"{path}.{key}", f"{key} applies to assign: account_owner only"))
    match = rule.get("match")
    if "threshold" in rule and Match.COMPANY not in (match if isinstance(match, list) else [match]):
        issues.append(ConfigIssue(f"{path}.threshold", "threshold applies to match: company only"))


def _dicts(data, key):
    items = data.get(key) if isinstance(data, dict) else None
    return [(i, x) for i, x in enumerate(items) if isinstance(x, dict)] if isinstance(items, list) else []


def semantic_issues(data: dict) -> list[ConfigIssue]:
    """Cross-references, duplicates, conditions, targets, pickers: checks pydantic cannot do.
    Tolerant of malformed input (pydantic reports that) so every problem surfaces at once."""
    issues: list[ConfigIssue] = []
    rep_ids, team_ids, names = set(), set(), set()
    for i, rep in _dicts(data, "reps"):
        if rep.get("id") in rep_ids:
            issues.append(ConfigIssue(f"reps[{i}].id", f"duplicate rep id {rep.get('id')!r}"))
        rep_ids.add(rep.get("id"))
    for i, team in _dicts(data, "teams"):
        if team.get("id") in team_ids:
            issues.append(ConfigIssue(f"teams[{i}].id", f"duplicate team id {team.get('id')!r}"))
        team_ids.add(team.get("id"))
        members = team.get("members")
        for j, m in enumerate(members if isinstance(members, list) else []):
            if m not in rep_ids:
                issues.append(ConfigIssue(f"teams[{i}].members[{j}]", f"unknown rep {m!r}"))
    for i, acc in _dicts(data, "accounts"):
        if "owner" in acc and acc["owner"] not in rep_ids:
            issues.append(ConfigIssue(f"accounts[{i}].owner", f"unknown rep {acc['owner']!r}"))
    for i, rule in _dicts(data, "rules"):
        path = f"rules[{i}]"
        if rule.get("name") in names:
            issues.append(ConfigIssue(f"{path}.name", f"duplicate rule name {rule.get('name')!r}"))
        names.add(rule.get("name"))
        if rule.get("when") is not None:
            compile_condition(rule["when"], f"{path}.when", issues)
        if rule.get("alert") is None:
            _rule_target_issues(rule, path, rep_ids, team_ids, issues)
        alert_issues(rule, path, issues)
        option_issues(rule, path, issues)
        if "pick" in rule and rule["pick"] not in PICKERS:
            issues.append(ConfigIssue(f"{path}.pick", f"unknown picker {rule['pick']!r}; one of: {', '.join(PICKERS)}"))
        _requirements(rule.get("require") or [], f"{path}.require", issues)
        teams = _rule_teams(rule, [t for _, t in _dicts(data, "teams")])
        _notify_issues(rule.get("notify"), f"{path}.notify", teams, issues)
        _sla_issues(rule.get("sla"), f"{path}.sla", teams, issues)
    all_teams = [t for _, t in _dicts(data, "teams")]
    if isinstance(data, dict):
        _notify_issues(data.get("notify"), "notify", all_teams, issues)
        _sla_issues(data.get("sla"), "sla", all_teams, issues)
        if isinstance(data.get("digest"), dict):
            _notify_issues(data["digest"].get("to"), "digest.to", all_teams, issues)
            _default_team_targets(data["digest"].get("to"), "digest", all_teams, issues,
                                  "no team has a manager or a channel to send it to")
    quality = data.get("quality") if isinstance(data, dict) else None
    action = quality.get("action") if isinstance(quality, dict) else None
    if isinstance(action, str) and action.startswith(("rep:", "team:")):
        _targets(action, "quality.action", rep_ids, team_ids, issues)
    fb = data.get("fallback") if isinstance(data, dict) else None
    if isinstance(fb, str) and fb.strip().lower() != "none":
        _targets(fb, "fallback", rep_ids, team_ids, issues)
    return issues


def _expand(targets: list[str], reps: dict[str, CRep], teams: dict[str, list[str]]) -> tuple[CRep, ...]:
    seen: dict[str, CRep] = {}
    for t in targets:
        kind, _, name = t.partition(":")
        for rid in (teams[name] if kind == "team" else [name]):
            seen.setdefault(rid, reps[rid])
    return tuple(seen.values())


def build(model, data: dict, issues: list[ConfigIssue]) -> CompiledConfig:
    """Compile a structurally valid model (issues only for problems semantic_issues missed)."""
    reps: dict[str, CRep] = {}
    for pos, r in enumerate(model.reps):
        tzname = r.timezone or model.timezone
        tz = load_zone(tzname)
        away = tuple((*away_bounds(a.from_, a.to, tz), f"{r.id}: away {a.from_}..{a.to}") for a in r.away)
        reps[r.id] = CRep(r, pos, tz, tzname, parse_hours(r.hours) if r.hours else None, away,
                          days_off_for(r, model.teams))
    teams = {t.id: list(t.members) for t in model.teams}
    rules = []
    for i, r in enumerate(model.rules):
        if not r.enabled:
            continue
        node = compile_condition(r.when, f"rules[{i}].when", issues) if r.when is not None else None
        cands = () if r.assign else _expand(r.to or [], reps, teams)
        rules.append(CRule(r.name, i, node, r.assign, cands, {c.id: k for k, c in enumerate(cands)},
                           tuple(_requirements(r.require, f"rules[{i}].require", issues)),
                           picker_for(r), r.on_empty, frozenset(r.match or (Match.DOMAIN,)),
                           r.threshold if r.threshold is not None else DEFAULT_THRESHOLD, r.alert))
    fallback = _expand([model.fallback], reps, teams) if model.fallback else None
    territories: dict[str, TerritoryIndex] = {}
    for r in model.reps:
        for t in r.territories:
            states = frozenset(normalize_state(s, t.country) for s in t.state) if t.state else None
            postal = tuple(compile_postal_pattern(p) for p in t.postal) if t.postal else None
            territories.setdefault(t.country, TerritoryIndex()).add(r.id, states, postal)
    accounts = AccountIndex(model.accounts)
    gate = QualityGate(model.quality) if model.quality else None
    return CompiledConfig(
        model=model, reps=tuple(reps.values()), rep_by_id=reps, rules=tuple(rules), fallback=fallback,
        fallback_index={c.id: k for k, c in enumerate(fallback or ())}, accounts=accounts, seed=model.seed,
        rep_models={r.id: r for r in model.reps},
        owner_index={(kind, oid): r.id for r in model.reps for kind, oid in r.crm.items()},
        territories=territories, quality=gate,
        quality_owners=_expand([gate.target], reps, teams) if gate and gate.target else ())
