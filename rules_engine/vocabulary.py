"""The engine's vocabulary, exported for the settings page's rule editor and the API (business-rules'
``export_rule_data`` idea). Every list is generated from the declaration the engine itself runs
on (the enums in choices.py, the operator, picker and requirement registries, the lead's fields,
the rep model), never copied beside it."""
from __future__ import annotations

from enum import Enum
from typing import Any

from .choices import Alert, Assign, LadderStep, Match, Metric, OnEmpty, QualityAction, QualityCheck, Skip
from .compiled import DEFAULT_THRESHOLD
from .conditions import MAX_PATTERN, OPERATORS
from .config import CRM_KINDS, NOTIFY_TARGETS, Rule
from .days_off import supported as holiday_calendars
from .decision import Status
from .eligibility import CAPS, REQUIREMENTS
from .hours import DAYS
from .lead import FIELD_TYPES, RAW_PREFIX, VIRTUAL_FIELDS
from .performance import PICKER_OPTIONS
from .pickers import PICKERS
from .quality import Quality


def labelled(choices: type[Enum]) -> list[dict[str, str]]:
    """[{name, label}] for a Choice enum, in declaration order."""
    return [{"name": c.value, "label": c.label} for c in choices]


def describe_vocabulary() -> dict[str, Any]:
    return {
        "version": 1,
        "fields": [{"name": n, "type": t, **({"derived": True} if n in VIRTUAL_FIELDS else {})}
                   for n, t in FIELD_TYPES.items()]
                  + [{"name": f"{RAW_PREFIX}<Name>", "type": "any", "pattern": r"^raw\..+$",
                      "description": "any CRM field by its API name"}],
        "operators": [{"name": op.name, "label": op.description,
                       "arity": op.arity,  # none | one | list | range ([low, high]) | pattern
                       "value_types": list(op.value_types), "negative": not op.positive,
                       **({"max_length": MAX_PATTERN} if op.arity == "pattern" else {})}
                      for op in OPERATORS.values()],
        "groups": [{"name": "all", "arity": "list"}, {"name": "any", "arity": "list"},
                   {"name": "not", "arity": "one"}],
        "pickers": [{"name": p.name, "label": p.description} for p in PICKERS.values()],
        "picker_options": [{"name": key, "with": list(pickers)} for key, pickers in PICKER_OPTIONS.items()],
        "metrics": labelled(Metric),
        "alert": labelled(Alert),
        "assign": labelled(Assign),
        "match": labelled(Match),
        "match_default": [Match.DOMAIN.value],
        "threshold": _bounds(Rule, "threshold") | {"default": DEFAULT_THRESHOLD},
        "quality": {"checks": [{"name": c.value, "label": c.label, "default": Quality.model_fields[c.value].default}
                               for c in QualityCheck],
                    "actions": labelled(QualityAction) + [{"pattern": "rep:<id>"}, {"pattern": "team:<id>"}]},
        "holidays": [{"country": code, "subdivisions": list(subs)}
                     for code, subs in sorted(holiday_calendars().items())],
        "requirements": [{"name": r.name, "label": r.description, "takes": r.takes}
                         for r in REQUIREMENTS.values()],
        "on_empty": labelled(OnEmpty),
        "targets": [{"pattern": "team:<id>"}, {"pattern": "rep:<id>"}],
        "fallback": [{"pattern": "team:<id>"}, {"pattern": "rep:<id>"}, {"pattern": "none"}],
        "statuses": [s.value for s in Status],
        "skip_reasons": sorted(s.value for s in Skip),
        "crms": list(CRM_KINDS),
        "days": list(DAYS),
        "rep_limits": ["max_open", *(key for key, _code, _label in CAPS)],
        "notify_targets": [{"pattern": f"{channel}:{target}", "label": label}
                           for channel, targets in NOTIFY_TARGETS.items() for target, label in targets.items()],
        "sla_ladder": labelled(LadderStep),
    }


def _bounds(model, field: str) -> dict[str, float]:
    """A numeric field's ge/le constraints as {min, max}."""
    out = {}
    for meta in model.model_fields[field].metadata:
        if getattr(meta, "ge", None) is not None:
            out["min"] = meta.ge
        if getattr(meta, "le", None) is not None:
            out["max"] = meta.le
    return out
