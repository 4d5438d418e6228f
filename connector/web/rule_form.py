"""The rule editor's form <-> the engine's rule data, driven by ``describe_vocabulary()``.

The condition is deliberately flat: a match mode (all / any) over rows of {field, operator,
value}. A rule whose condition nests groups is shown as YAML and edited as YAML, so nothing the
engine accepts is lost by the editor. Values are typed by the operator's arity and the field's
type, both read from the engine's vocabulary; so are the assign kinds, match evidence, pickers,
requirements, notify targets and SLA ladder steps the form offers.

The form edits the keys in ``FORM_KEYS``; any other key (one the engine adds later) is kept from
the stored rule as it is, and so is every form key left unchanged (``to: team:west`` stays a
string, an explicit ``pick: round_robin`` stays): saving an unchanged rule stores the same rule.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from werkzeug.datastructures import MultiDict

from connector.web import config_form
from connector.web.config_form import as_list, split, vocabulary

BLANK_ROWS = 2
FORM_KEYS = ("name", "description", "enabled", "when", "assign", "match", "threshold", "to", "pick",
             "on_empty", "require", "notify", "sla")
FIELDS = ("name", "description", "enabled", "when", "assign", "match", "threshold", "to", "pick", "on_empty",
          "require", "notify", "sla", "sla.minutes", "sla.every", "sla.ladder", "sla.escalate_to")
_COND_PATH = re.compile(r"^when\.(?:all|any)\[(\d+)\](?:\.(\w+))?")

__all__ = ["FORM_KEYS", "field_errors", "form_to_rule", "kept_keys", "posted_fields", "rule_to_form", "vocabulary"]


def _flat(when: Any) -> tuple[str, list[dict]] | None:
    """(mode, leaves) when the condition is flat enough for the row editor, else None."""
    if when is None:
        return "all", []
    if isinstance(when, dict) and "field" in when:
        return "all", [when]
    if isinstance(when, dict) and len(when) == 1 and next(iter(when)) in ("all", "any"):
        mode, items = next(iter(when.items()))
        if isinstance(items, list) and all(isinstance(i, dict) and "field" in i for i in items):
            return mode, items
    return None


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _requirements(require: list) -> tuple[list[str], dict[str, str]]:
    """Stored ``require`` -> (names checked, {name: text}) by what each requirement takes."""
    checked, typed = [], {}
    for item in require:
        if isinstance(item, str):
            checked.append(item)
        elif isinstance(item, dict):
            typed.update({name: ", ".join(str(v) for v in as_list(value)) for name, value in item.items()})
    return checked, typed


def rule_to_form(rule: dict[str, Any] | None) -> dict[str, Any]:
    rule = rule or {}
    flat = _flat(rule.get("when"))
    rows = [{"field": leaf.get("field", ""), "op": leaf.get("op", ""), "value": _value_text(leaf.get("value"))}
            for leaf in (flat[1] if flat else [])]
    checked, typed = _requirements(as_list(rule.get("require")))
    return {
        "name": rule.get("name", ""), "description": rule.get("description", ""),
        "enabled": rule.get("enabled", True), "mode": flat[0] if flat else "all",
        "rows": rows + [{"field": "", "op": "", "value": ""}] * BLANK_ROWS,
        "nested": None if flat else yaml.safe_dump(rule.get("when"), sort_keys=False),
        "assign": rule.get("assign") or "",
        "match": [str(m) for m in as_list(rule.get("match"))] or list(vocabulary()["match_default"]),
        "threshold": "" if rule.get("threshold") is None else str(rule["threshold"]),
        "to": ", ".join(str(t) for t in as_list(rule.get("to"))),
        "pick": rule.get("pick", "round_robin"), "on_empty": rule.get("on_empty", "next"),
        "require": checked, "require_text": typed,
        "notify": config_form.notify_to_form(rule.get("notify")),
        "sla": config_form.sla_to_form(rule.get("sla")),
    }


def posted_fields(form: dict[str, Any]) -> MultiDict:
    """What a browser posts for the editor rendered from ``form`` (``rule_to_form``'s output):
    the reference a post is compared with, to tell which keys the person changed."""
    fields: list[tuple[str, str]] = [("name", form["name"]), ("description", form["description"] or "")]
    if form["enabled"]:
        fields.append(("enabled", "1"))
    if form["nested"] is not None:
        fields.append(("nested", form["nested"]))
    else:
        fields.append(("mode", form["mode"]))
        for row in form["rows"]:
            fields += [("cond_field", row["field"]), ("cond_op", row["op"]), ("cond_value", row["value"])]
    fields.append(("assign", form["assign"]))
    fields += [("match", m) for m in form["match"]] + [("threshold", form["threshold"])]
    fields += [("to", form["to"]), ("pick", form["pick"]), ("on_empty", form["on_empty"])]
    fields += [("require", name) for name in form["require"]]
    fields += [(f"require_{r['name']}", form["require_text"].get(r["name"], ""))
               for r in vocabulary()["requirements"] if r["takes"] != "nothing"]
    fields += config_form.notify_fields(form["notify"]) + config_form.sla_fields(form["sla"])
    return MultiDict(fields)


def kept_keys(rule: dict[str, Any] | None) -> dict[str, Any]:
    """The keys of a stored rule that the form does not edit: shown on the page, kept on save."""
    return {key: value for key, value in (rule or {}).items() if key not in FORM_KEYS}


def form_to_rule(form: Any, base: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The rule data from a posted form (``request.form``), and the form's own errors (things the
    engine cannot see, like a nested condition that is not YAML). With ``base`` (the stored rule
    being edited), keys the form does not edit are kept, and so is every form key left unchanged."""
    rule, errors = _from_form(form)
    if base is None:
        return rule, errors
    reference, _ = _from_form(posted_fields(rule_to_form(base)))
    return config_form.keep_unchanged(base, rule, reference, FORM_KEYS), errors


def _typed(field: str, op: str, text: str) -> tuple[bool, Any]:
    """(has_value, value) for a row, by the operator's arity and the field's type."""
    vocab = vocabulary()
    arity = vocab["op_arity"].get(op, "one")
    numeric = vocab["field_types"].get(field) == "number"
    if arity == "none":
        return False, None
    if arity in ("list", "range"):
        items = split(text)
        return True, [config_form.number(i) for i in items] if numeric or arity == "range" else items
    if arity == "pattern":
        return True, text
    return True, config_form.number(text) if numeric else text.strip()


def _condition(form: Any, errors: dict[str, list[str]]) -> Any:
    if form.get("nested") is not None:
        try:
            return yaml.safe_load(form.get("nested") or "null")
        except yaml.YAMLError as exc:
            errors["when"] = [f"not valid YAML: {exc}"]
            return None
    leaves = []
    for field, op, value in zip(form.getlist("cond_field"), form.getlist("cond_op"), form.getlist("cond_value")):
        field, op = field.strip(), op.strip()
        if not field and not value.strip():
            continue
        leaf: dict[str, Any] = {"field": field, "op": op}
        has_value, typed = _typed(field, op, value)
        if has_value:
            leaf["value"] = typed
        leaves.append(leaf)
    mode = form.get("mode") if form.get("mode") in ("all", "any") else "all"
    return {mode: leaves} if leaves else None


def _who(form: Any, rule: dict[str, Any]) -> None:
    """assign (with its match evidence and threshold) or to + pick."""
    assign = form.get("assign", "")
    if assign:
        rule["assign"] = assign
        if assign == "account_owner":
            rule["match"] = form.getlist("match") or None
            rule["threshold"] = config_form.number(form.get("threshold"))
    else:
        rule["to"] = split(form.get("to", ""))
        rule["pick"] = form.get("pick") or "round_robin"


def _from_form(form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    rule: dict[str, Any] = {"name": form.get("name", "").strip()}
    if form.get("description", "").strip():
        rule["description"] = form.get("description").strip()
    if not form.get("enabled"):
        rule["enabled"] = False
    when = _condition(form, errors)
    if when is not None:
        rule["when"] = when
    _who(form, rule)
    if form.get("on_empty", "next") != "next":
        rule["on_empty"] = form.get("on_empty")
    require: list[Any] = [name for name in form.getlist("require") if name]
    for r in vocabulary()["requirements"]:
        if r["takes"] != "nothing" and split(form.get(f"require_{r['name']}")):
            require.append({r["name"]: split(form.get(f"require_{r['name']}"))})
    if require:
        rule["require"] = require
    rule["notify"] = config_form.form_to_notify(form)
    rule["sla"] = config_form.form_to_sla(form)
    return {key: value for key, value in rule.items() if value is not None}, errors


def _alias(path: str) -> str | None:
    match = _COND_PATH.match(path)
    if match:
        return f"cond.{match.group(1)}"
    return "when" if path.startswith("when") else "require" if path.startswith("require") else None


def field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Engine paths of a rule -> editor keys: 'when.all[1].value' -> 'cond.1' (the row, its message
    naming the part), 'sla.ladder[0]' -> 'sla.ladder', 'to', …; anything else at the top with its path."""
    named = {}
    for path, messages in errors.items():
        match = _COND_PATH.match(path)
        named[path] = [f"{match.group(2)}: {m}" for m in messages] if match and match.group(2) else messages
    return config_form.by_field(named, FIELDS, _alias)
