"""Errors raised by the engine.

    ConfigError            a routing config failed validation; ``.errors`` lists every problem
      (ValueError)         found, each with a path such as ``rules[2].when.all[0].op``.

Routing itself never raises for bad leads: a lead that cannot be routed is a Decision with
status ``unroutable`` or ``waiting``, not an exception.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(ValueError):
    def __init__(self, errors: list[ConfigIssue]):
        self.errors = list(errors)
        super().__init__("invalid routing config:\n" + "\n".join(str(e) for e in self.errors))


def format_path(loc) -> str:
    """('rules', 2, 'when', 'all', 0, 'op') -> 'rules[2].when.all[0].op'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
