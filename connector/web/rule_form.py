"""The rule editor's form <-> the engine's rule data, driven by ``describe_vocabulary()``.

The form is deliberately flat: a match mode (all / any) over rows of {field, operator, value}.
A rule whose condition nests groups is shown as YAML and edited as YAML, so nothing the engine
accepts is lost by the editor. Values are typed by the operator's arity and the field's type,
both read from the engine's vocabulary.

The form edits only some of a rule's keys (``FORM_KEYS``); every other key (``notify``, ``sla``,
and any the engine adds later) is kept from the stored rule as it is. A form key the person did
not change keeps its stored spelling too (``to: team:west`` stays a string, an explicit
``pick: round_robin`` stays), so saving an unchanged rule stores exactly the same rule.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml
from werkzeug.datastructures import MultiDict

from rules_engine import describe_vocabulary

BLANK_ROWS = 2
FORM_KEYS = ("name", "description", "enabled", "when", "assign", "to", "pick", "on_empty", "require")
_COND_PATH = re.compile(r"^when\.(?:all|any)\[(\d+)\](?:\.(\w+))?")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    vocab = describe_vocabulary()
    vocab["field_types"] = {f["name"]: f["type"] for f in vocab["fields"]}
    vocab["op_arity"] = {o["name"]: o["arity"] for o in vocab["operators"]}
    return vocab


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


def rule_to_form(rule: dict[str, Any] | None) -> dict[str, Any]:
    rule = rule or {}
    flat = _flat(rule.get("when"))
    rows = [{"field": leaf.get("field", ""), "op": leaf.get("op", ""), "value": _value_text(leaf.get("value"))}
            for leaf in (flat[1] if flat else [])]
    require = rule.get("require") or []
    skills = next((r["skills"] for r in require if isinstance(r, dict) and "skills" in r), [])
    to = rule.get("to") or []
    return {
        "name": rule.get("name", ""), "description": rule.get("description", ""),
        "enabled": rule.get("enabled", True), "mode": flat[0] if flat else "all",
        "rows": rows + [{"field": "", "op": "", "value": ""}] * BLANK_ROWS,
        "nested": None if flat else yaml.safe_dump(rule.get("when"), sort_keys=False),
        "assign": rule.get("assign") == "account_owner",
        "to": ", ".join(to if isinstance(to, list) else [to]),
        "pick": rule.get("pick", "round_robin"), "on_empty": rule.get("on_empty", "next"),
        "territory": "territory" in require, "skills": ", ".join(skills if isinstance(skills, list) else [skills]),
    }


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text  # the engine says what is wrong with it, next to the field


def _typed(field: str, op: str, text: str) -> tuple[bool, Any]:
    """(has_value, value) for a row, by the operator's arity and the field's type."""
    vocab = vocabulary()
    arity = vocab["op_arity"].get(op, "one")
    numeric = vocab["field_types"].get(field) == "number"
    if arity == "none":
        return False, None
    if arity in ("list", "range"):
        items = [part.strip() for part in text.split(",") if part.strip()]
        return True, [_number(i) for i in items] if numeric or arity == "range" else items
    if arity == "pattern":
        return True, text
    return True, _number(text.strip()) if numeric else text.strip()


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def kept_keys(rule: dict[str, Any] | None) -> dict[str, Any]:
    """The keys of a stored rule that the form does not edit: shown on the page, kept on save."""
    return {key: value for key, value in (rule or {}).items() if key not in FORM_KEYS}


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
    if form["assign"]:
        fields.append(("assign", "account_owner"))
    fields += [("to", form["to"]), ("pick", form["pick"]), ("on_empty", form["on_empty"])]
    if form["territory"]:
        fields.append(("territory", "1"))
    fields.append(("skills", form["skills"]))
    return MultiDict(fields)


def form_to_rule(form: Any, base: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The rule data from a posted form (``request.form``), and the form's own errors (things the
    engine cannot see, like a nested condition that is not YAML). With ``base`` (the stored rule
    being edited), keys the form does not edit are kept, and so is every form key left unchanged."""
    rule, errors = _from_form(form)
    if base is None:
        return rule, errors
    reference, _ = _from_form(posted_fields(rule_to_form(base)))
    merged: dict[str, Any] = {}
    for key in [*base, *(k for k in rule if k not in base)]:
        if key not in FORM_KEYS:
            merged[key] = base[key]
        elif rule.get(key) == reference.get(key):
            if key in base:
                merged[key] = base[key]
        elif key in rule:
            merged[key] = rule[key]
    return merged, errors


def _from_form(form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    rule: dict[str, Any] = {"name": form.get("name", "").strip()}
    if form.get("description", "").strip():
        rule["description"] = form.get("description").strip()
    if not form.get("enabled"):
        rule["enabled"] = False
    if form.get("nested") is not None:
        try:
            when = yaml.safe_load(form.get("nested") or "null")
        except yaml.YAMLError as exc:
            errors["when"] = [f"not valid YAML: {exc}"]
            when = None
    else:
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
        when = {mode: leaves} if leaves else None
    if when is not None:
        rule["when"] = when
    if form.get("assign"):
        rule["assign"] = "account_owner"
    else:
        rule["to"] = _split(form.get("to", ""))
        rule["pick"] = form.get("pick") or "round_robin"
    if form.get("on_empty", "next") != "next":
        rule["on_empty"] = form.get("on_empty")
    require: list[Any] = ["territory"] if form.get("territory") else []
    if _split(form.get("skills", "")):
        require.append({"skills": _split(form.get("skills", ""))})
    if require:
        rule["require"] = require
    return rule, errors


def field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Engine paths of a rule -> editor keys: 'when.all[1].value' -> 'cond.1' (the row), 'to', …"""
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        match = _COND_PATH.match(path)
        if match:
            key = f"cond.{match.group(1)}"
            messages = [f"{match.group(2)}: {m}" if match.group(2) else m for m in messages]
        elif path.startswith("require"):
            key = "require"
        elif path.startswith("when"):
            key = "when"
        else:
            key = path.split(".")[0].split("[")[0] if path else ""
            if key not in ("name", "description", "to", "pick", "on_empty", "assign", "enabled"):
                key, messages = "", [f"{path}: {m}" if path else m for m in messages]
        out.setdefault(key, []).extend(messages)
    return out
