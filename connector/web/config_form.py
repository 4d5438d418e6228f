"""The config's shared parts as form fields, generated from ``describe_vocabulary()``: notify
targets and an SLA (a rule's own or the config's defaults), and the reference trick every
editor here uses so that saving an unchanged form stores nothing.

A browser posts text; the engine wants data. ``*_to_form`` turns stored data into the values a
form shows, ``form_to_*`` turns a post back into data (the engine validates it on save and its
errors come back keyed by config path). ``keep_unchanged`` compares the post with what the
unchanged form would have posted, so a key the person did not touch keeps its stored spelling
(``notify: slack:rep`` stays a string, an explicit default stays).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from rules_engine import describe_vocabulary

SLA_ROWS_MIN = 3
SLA_ROWS_MAX = 10   # the engine's max_length for a ladder


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    vocab = describe_vocabulary()
    vocab["field_types"] = {f["name"]: f["type"] for f in vocab["fields"]}
    vocab["op_arity"] = {o["name"]: o["arity"] for o in vocab["operators"]}
    # Targets without a placeholder (slack:rep, email:manager…) are checkboxes; the others
    # (slack:#<channel>, email:<address>) are typed into a free field.
    vocab["fixed_targets"] = [t for t in vocab["notify_targets"] if "<" not in t["pattern"]]
    vocab["typed_targets"] = [t for t in vocab["notify_targets"] if "<" in t["pattern"]]
    return vocab


def split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()]


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def number(text: str | None) -> Any:
    """An int (or float) from a field; other text is returned as it is, so the engine says what is
    wrong with it next to the field; empty is None."""
    text = (text or "").strip()
    if not text:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


# -- notify ---------------------------------------------------------------------------------------
def notify_to_form(value: Any) -> dict[str, Any]:
    """``inherit``: no list of its own (the config's default applies)."""
    targets = [str(t) for t in as_list(value)]
    fixed = {t["pattern"] for t in vocabulary()["fixed_targets"]}
    return {"inherit": value is None, "checked": [t for t in targets if t in fixed],
            "extra": ", ".join(t for t in targets if t not in fixed)}


def notify_fields(form: dict[str, Any]) -> list[tuple[str, str]]:
    fields = [("notify_mode", "inherit" if form["inherit"] else "own")]
    fields += [("notify_target", t) for t in form["checked"]]
    return fields + [("notify_extra", form["extra"])]


def form_to_notify(post: Any) -> list[str] | None:
    if post.get("notify_mode", "inherit") == "inherit":
        return None
    return [*post.getlist("notify_target"), *split(post.get("notify_extra"))]


# -- sla ------------------------------------------------------------------------------------------
def sla_to_form(sla: Any) -> dict[str, Any]:
    sla = sla if isinstance(sla, dict) else {}
    ladder = [str(step) for step in as_list(sla.get("ladder"))]
    rows = max(SLA_ROWS_MIN, min(SLA_ROWS_MAX, len(ladder) + 1))
    return {"on": bool(sla), "minutes": _text(sla.get("minutes")), "every": _text(sla.get("every")),
            "ladder": ladder + [""] * (rows - len(ladder)),
            "escalate_to": ", ".join(str(t) for t in as_list(sla.get("escalate_to")))}


def sla_fields(form: dict[str, Any]) -> list[tuple[str, str]]:
    fields = [("sla_mode", "own" if form["on"] else "inherit"), ("sla_minutes", form["minutes"]),
              ("sla_every", form["every"])]
    return fields + [("sla_ladder", step) for step in form["ladder"]] + [("sla_escalate_to", form["escalate_to"])]


def form_to_sla(post: Any) -> dict[str, Any] | None:
    if post.get("sla_mode", "inherit") != "own":
        return None
    sla: dict[str, Any] = {"minutes": number(post.get("sla_minutes"))}
    ladder = [step for step in post.getlist("sla_ladder") if step]
    if ladder:
        sla["ladder"] = ladder
    if number(post.get("sla_every")) is not None:
        sla["every"] = number(post.get("sla_every"))
    if split(post.get("sla_escalate_to")):
        sla["escalate_to"] = split(post.get("sla_escalate_to"))
    return sla


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# -- holidays (a rep's or a team's calendar) --------------------------------------------------------
def holidays_to_form(value: Any) -> dict[str, str]:
    value = {"country": value} if isinstance(value, str) else value if isinstance(value, dict) else {}
    return {"country": str(value.get("country") or ""), "subdiv": str(value.get("subdiv") or ""),
            "dates": ", ".join(str(d) for d in as_list(value.get("dates")))}


def holidays_fields(form: dict[str, str]) -> list[tuple[str, str]]:
    return [(f"holidays_{part}", value) for part, value in form.items()]


def form_to_holidays(post: Any) -> dict[str, Any] | None:
    value = {"country": post.get("holidays_country", "").strip() or None,
             "subdiv": post.get("holidays_subdiv", "").strip() or None,
             "dates": split(post.get("holidays_dates")) or None}
    return {k: v for k, v in value.items() if v is not None} or None


# -- saving an unchanged form stores nothing ------------------------------------------------------
def keep_unchanged(base: dict[str, Any], parsed: dict[str, Any], reference: dict[str, Any],
                   keys: Iterable[str]) -> dict[str, Any]:
    """``parsed`` (from the post) over ``base`` (the stored item): a key among ``keys`` whose
    parsed value equals the ``reference`` (the unchanged form, parsed) keeps ``base``'s value and
    spelling; other keys of ``base`` are kept as they are; a key parsed to None is dropped."""
    keys = set(keys)
    merged: dict[str, Any] = {}
    for key in [*base, *(k for k in parsed if k not in base)]:
        if key not in keys:
            merged[key] = base[key]
        elif parsed.get(key) == reference.get(key):
            if key in base:
                merged[key] = base[key]
        elif parsed.get(key) is not None:
            merged[key] = parsed[key]
    return merged


def by_field(errors: dict[str, list[str]], known: Iterable[str],
             alias: Callable[[str], str | None] = lambda key: None) -> dict[str, list[str]]:
    """Config paths -> the form's field keys: 'sla.ladder[1]' -> 'sla.ladder' when that field is
    ``known``, else its first part ('sla'); anything else goes to the top of the form with its path."""
    known = set(known)
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        parts = path.split("[")[0].split(".")
        key = alias(path) or next((k for k in (".".join(parts[:2]), parts[0]) if k in known), None)
        if key is None:
            key, messages = "", [f"{path}: {m}" if path else m for m in messages]
        out.setdefault(key, []).extend(messages)
    return out
