"""The rep editor's form <-> the config's rep fields.

Text a person types (one line per day of hours, per away period, per territory) is parsed here;
shapes this module cannot read (a line without ':') are reported at their field, everything else
is validated by the engine on save and reported at its field too. A rep's CRM owner ids are one
field per connection (``crm__<name>``, offered from the connection's synced users); keys of
connections this process does not know are kept. A field left unchanged keeps its stored
spelling, so saving an unchanged rep stores nothing.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from connector.web import config_form
from connector.web.config_form import as_list, split

NUMBERS = ("weight", "max_open", "hourly_cap", "daily_cap", "weekly_cap")
TEXTS = ("name", "email", "slack", "timezone")
KEYS = (*TEXTS, "crm", "hours", "away", "holidays", "skills", "territories", *NUMBERS, "active")
Connections = list[tuple[str, tuple[str, ...]]]   # (connection name, its keys in reps' crm:)


def crm_key(crm: dict[str, Any], keys: tuple[str, ...]) -> str:
    """Where a rep keeps a connection's owner id: the key already used, else the connection's name."""
    return next((key for key in keys if key in crm), keys[0])


def _territory_text(t: dict[str, Any]) -> str:
    extra = [", ".join(as_list(t.get("state")))] if t.get("state") else []
    extra += ["postal " + ", ".join(as_list(t.get("postal")))] if t.get("postal") else []
    return str(t.get("country", "")) + (": " + "; ".join(extra) if extra else "")


def rep_to_form(rep: dict[str, Any], connections: Connections) -> dict[str, Any]:
    crm = rep.get("crm") or {}
    return {
        **{key: str(rep.get(key) or "") for key in TEXTS},
        "crm": {name: str(crm.get(crm_key(crm, keys), "")) for name, keys in connections},
        "hours": "\n".join(f"{k}: {v}" for k, v in (rep.get("hours") or {}).items()),
        "away": "\n".join(f"{a.get('from')} .. {a.get('to')}" + (f"  {a['note']}" if a.get("note") else "")
                          for a in rep.get("away") or []),
        "holidays": config_form.holidays_to_form(rep.get("holidays")),
        "skills": ", ".join(str(s) for s in as_list(rep.get("skills"))),
        "territories": "\n".join(_territory_text(t) for t in rep.get("territories") or [] if isinstance(t, dict)),
        **{k: "" if rep.get(k) is None else str(rep[k]) for k in NUMBERS},
        "active": rep.get("active", True) is not False,
    }


def posted_fields(form: dict[str, Any]) -> MultiDict:
    fields = [(key, form[key]) for key in (*TEXTS, "hours", "away", "skills", "territories", *NUMBERS)]
    fields += [(f"crm__{name}", value) for name, value in form["crm"].items()]
    fields += config_form.holidays_fields(form["holidays"])
    return MultiDict(fields + ([("active", "1")] if form["active"] else []))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _hours(text: str, errors: dict[str, list[str]]) -> dict[str, str] | None:
    hours: dict[str, str] = {}
    for line in _lines(text):
        day, sep, spans = line.partition(":")
        if not sep:
            errors.setdefault("hours", []).append(f"'{line}': write days: hours, e.g. mon-fri: 09:00-18:00")
        hours[day.strip()] = spans.strip()
    return hours or None


def _away(text: str, errors: dict[str, list[str]]) -> list[dict[str, str]] | None:
    away = []
    for line in _lines(text):
        parts = line.split(None, 3)
        if len(parts) < 3 or parts[1] != "..":
            errors.setdefault("away", []).append(f"'{line}': write 2026-12-20 .. 2027-01-03 (optional note)")
            continue
        away.append({"from": parts[0], "to": parts[2], **({"note": parts[3]} if len(parts) > 3 else {})})
    return away or None


def _territories(text: str) -> list[dict[str, Any]] | None:
    territories = []
    for line in _lines(text):
        country, _, rest = line.partition(":")
        item: dict[str, Any] = {"country": country.strip()}
        for part in (p.strip() for p in rest.split(";") if p.strip()):
            if part.startswith("postal "):
                item["postal"] = split(part[7:])
            else:
                item["state"] = split(part)
        territories.append(item)
    return territories or None


def _parse(post: Any, crm: dict[str, Any], connections: Connections) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {key: post.get(key, "").strip() or None for key in TEXTS}
    owner_ids = dict(crm)
    for name, keys in connections:
        value = post.get(f"crm__{name}", "").strip()
        owner_ids.pop(crm_key(crm, keys), None)
        if value:
            owner_ids[crm_key(crm, keys)] = value
    fields["crm"] = owner_ids or None
    fields.update(hours=_hours(post.get("hours", ""), errors), away=_away(post.get("away", ""), errors),
                  holidays=config_form.form_to_holidays(post), skills=split(post.get("skills")) or None,
                  territories=_territories(post.get("territories", "")))
    for key in NUMBERS:
        raw = post.get(key, "").strip()
        if raw and not raw.isdigit():
            errors.setdefault(key, []).append("a whole number")
        fields[key] = int(raw) if raw.isdigit() else None
    fields["active"] = None if post.get("active") else False   # checked: the default, so no key
    return fields, errors


def form_to_fields(post: Any, base: dict[str, Any], connections: Connections) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The rep's fields from a post ({key: value, or None to remove it}) and the form's own
    errors. ``base``: the stored rep ({} for a new one); keys left unchanged keep its values."""
    crm = base.get("crm") or {}
    parsed, errors = _parse(post, crm, connections)
    reference, _ = _parse(posted_fields(rep_to_form(base, connections)), crm, connections)
    merged = config_form.keep_unchanged(base, parsed, reference, KEYS)
    return {key: merged.get(key) for key in KEYS}, errors


def field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Engine paths relative to the rep ('territories[0].country', 'crm') -> the form's fields."""
    return config_form.by_field(errors, ("id", *KEYS), lambda path: "crm" if path.startswith("crm") else None)
