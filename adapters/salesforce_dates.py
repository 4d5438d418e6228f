"""Salesforce's JSON date-times: 2024-01-01T00:00:00.000+0000 (no colon in the offset)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from rules_engine.lead import parse_datetime


def parse_sf_datetime(value: Any) -> datetime | None:
    if isinstance(value, str) and len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    return parse_datetime(value)
