"""The engine's vocabulary, exported for the settings page's rule editor (business-rules'
``export_rule_data`` idea): fields, operators, pickers, requirements, on_empty choices."""
from __future__ import annotations

from typing import Any

from .conditions import MAX_PATTERN, OPERATORS
from .config import CRM_KINDS, LADDER_STEPS, NOTIFY_TARGETS
from .eligibility import REQUIREMENTS, Skip
from .hours import DAYS
from .lead import FIELD_TYPES, RAW_PREFIX
from .pickers import PICKERS

ON_EMPTY = {
    "next": "try the next rule (default)",
    "wait": "keep the lead pending with the reason; retried when a candidate becomes available",
    "fallback": "skip the remaining rules and go to the config's fallback",
}


def describe_vocabulary() -> dict[str, Any]:
    return {
        "version": 1,
        "fields": [{"name": n, "type": t, **({"derived": True} if n == "domain" else {})}
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
        "assign": [{"name": "account_owner",
                    "label": "the owner of the account matching the lead's email/website domain"}],
        "requirements": [{"name": r.name, "label": r.description, "takes": r.takes}
                         for r in REQUIREMENTS.values()],
        "on_empty": [{"name": k, "label": v} for k, v in ON_EMPTY.items()],
        "targets": [{"pattern": "team:<id>"}, {"pattern": "rep:<id>"}],
        "fallback": [{"pattern": "team:<id>"}, {"pattern": "rep:<id>"}, {"pattern": "none"}],
        "statuses": ["assigned", "waiting", "unroutable"],
        "skip_reasons": sorted(v for k, v in vars(Skip).items() if k.isupper() and isinstance(v, str)),
        "crms": list(CRM_KINDS),
        "days": list(DAYS),
        "rep_limits": ["max_open", "hourly_cap", "daily_cap", "weekly_cap"],
        "notify_targets": [{"pattern": f"{channel}:{target}", "label": label}
                           for channel, targets in NOTIFY_TARGETS.items() for target, label in targets.items()],
        "sla_ladder": [{"name": k, "label": v} for k, v in LADDER_STEPS.items()],
    }
