"""The defaults page's form <-> the config's top-level sections: the time zone, the fallback,
the default ``notify`` and ``sla`` (every rule without its own), ``auto_pause``, ``digest`` and
``quality``. Every choice comes from the engine's vocabulary; the engine validates on save and
each error comes back at its field ('digest.at', 'quality.action', 'sla.ladder', …).
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from connector.web import config_form
from connector.web.config_form import as_list, number, split, vocabulary

KEYS = ("timezone", "fallback", "notify", "sla", "auto_pause", "digest", "quality")
FIELDS = (*KEYS, "sla.minutes", "sla.every", "sla.ladder", "sla.escalate_to", "auto_pause.after_breaches",
          "digest.at", "digest.to", "quality.action")


def to_form(data: dict[str, Any]) -> dict[str, Any]:
    digest = data.get("digest") if isinstance(data.get("digest"), dict) else {}
    quality = data.get("quality") if isinstance(data.get("quality"), dict) else {}
    checks = vocabulary()["quality"]["checks"]
    return {
        "timezone": str(data.get("timezone") or "UTC"),
        "fallback": str(data.get("fallback") or "none"),
        "notify": config_form.notify_to_form(data.get("notify")),
        "sla": config_form.sla_to_form(data.get("sla")),
        "auto_pause": str((data.get("auto_pause") or {}).get("after_breaches", "")),
        "digest": {"on": data.get("digest") is not None, "at": str(digest.get("at", "")),
                   "to": ", ".join(str(t) for t in as_list(digest.get("to")))},
        "quality": {"on": data.get("quality") is not None,
                    "checks": [c["name"] for c in checks if quality.get(c["name"], c["default"])],
                    "action": str(quality.get("action", "hold"))},
    }


def posted_fields(form: dict[str, Any]) -> MultiDict:
    """What a browser posts for the page rendered from ``form``: the unchanged reference."""
    fields = [("timezone", form["timezone"]), ("fallback", form["fallback"])]
    fields += config_form.notify_fields(form["notify"]) + config_form.sla_fields(form["sla"])
    fields.append(("auto_pause", form["auto_pause"]))
    if form["digest"]["on"]:
        fields.append(("digest_on", "1"))
    fields += [("digest_at", form["digest"]["at"]), ("digest_to", form["digest"]["to"])]
    if form["quality"]["on"]:
        fields.append(("quality_on", "1"))
    fields += [("quality_check", name) for name in form["quality"]["checks"]]
    return MultiDict(fields + [("quality_action", form["quality"]["action"])])


def _parse(post: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"timezone": post.get("timezone", "").strip() or None,
                           "fallback": post.get("fallback", "").strip() or None,
                           "notify": config_form.form_to_notify(post), "sla": config_form.form_to_sla(post)}
    breaches = number(post.get("auto_pause"))
    out["auto_pause"] = {"after_breaches": breaches} if breaches is not None else None
    out["digest"] = None
    if post.get("digest_on"):
        out["digest"] = {key: value for key, value in (("at", post.get("digest_at", "").strip() or None),
                                                       ("to", split(post.get("digest_to")) or None)) if value}
    out["quality"] = None
    if post.get("quality_on"):
        chosen = set(post.getlist("quality_check"))
        out["quality"] = {c["name"]: c["name"] in chosen for c in vocabulary()["quality"]["checks"]}
        out["quality"]["action"] = post.get("quality_action", "hold").strip() or "hold"
    if out["fallback"] == "none":
        out["fallback"] = None
    return out


def form_to_defaults(post: Any, data: dict[str, Any]) -> dict[str, Any]:
    """{key: new value, or None to remove it} for every key in ``KEYS``; a key left unchanged on
    the page keeps the stored value (and its spelling)."""
    base = {key: data[key] for key in KEYS if key in data}
    parsed = _parse(post)
    merged = config_form.keep_unchanged(base, parsed, _parse(posted_fields(to_form(data))), KEYS)
    return {key: merged.get(key) for key in KEYS}


def fallback_choices(data: dict[str, Any]) -> list[str]:
    """The vocabulary's fallback patterns filled with this config's teams and reps."""
    ids = {"team": [t.get("id") for t in data.get("teams") or []], "rep": [r.get("id") for r in data.get("reps") or []]}
    out = []
    for pattern in (p["pattern"] for p in vocabulary()["fallback"]):
        kind, _, rest = pattern.partition(":")
        out += [f"{kind}:{i}" for i in ids.get(kind, [])] if rest else [pattern]
    return out


def quality_actions(data: dict[str, Any]) -> list[dict[str, str]]:
    """hold, route, then rep:/team: targets of this config, as {value, label}."""
    out = []
    for action in vocabulary()["quality"]["actions"]:
        if "name" in action:
            out.append({"value": action["name"], "label": f"{action['name']} — {action['label']}"})
        else:
            kind = action["pattern"].split(":")[0]
            out += [{"value": t, "label": f"{t} takes it (no turn, no load)"} for t in fallback_choices(data)
                    if t.startswith(kind + ":")]
    return out


def field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return config_form.by_field(errors, FIELDS)
