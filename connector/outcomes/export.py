"""The metrics report's doors' shared parts: the query (``by``, ``days`` or ``since``/``until``,
``connection``) checked once for the API, the dashboard and the CSV export, the CSV itself, and
the OpenAPI description of ``/api/v1/metrics`` (derived from the same declarations)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Mapping

from connector.outcomes.metrics import By
from connector.outcomes.report import Period

MAX_DAYS = 366
DEFAULT_DAYS = 14
COLUMNS = ("key", "leads", "routed", "time_to_assign_median_s", "time_to_assign_p90_s", "speed_to_lead_median_s",
           "speed_to_lead_p90_s", "touched", "sla_breaches", "accepted", "passed", "not_a_fit",
           "won", "conversion_rate", "conversion_low", "conversion_high",
           "lost", "loss_rate", "loss_low", "loss_high", "share", "fair_share", "expected", "deviation")


class QueryError(ValueError):
    """A bad query parameter: ``str()`` names it and what it takes."""


def _when(name: str, text: str, end: bool) -> datetime:
    try:
        if len(text) == 10:   # a date: the whole day
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=timezone.utc)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{name}: not an ISO 8601 date or date-time: {text[:40]!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def parse_query(args: Mapping[str, str], now: datetime) -> tuple[By, Period]:
    """``by`` (default rep), then ``since``/``until`` (ISO dates or date-times, ``until`` default
    now) or ``days`` (the last N days, default 14), and ``connection``."""
    try:
        by = By(args.get("by") or By.REP.value)
    except ValueError:
        raise QueryError(f"by: one of {', '.join(b.value for b in By)}") from None
    if args.get("since"):
        since = _when("since", args["since"], end=False)
        until = _when("until", args["until"], end=True) if args.get("until") else now
    else:
        text = args.get("days") or str(DEFAULT_DAYS)
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_DAYS):
            raise QueryError(f"days: a whole number from 1 to {MAX_DAYS}")
        since, until = now - timedelta(days=int(text)), now
    if until <= since:
        raise QueryError("until must be after since")
    if until - since > timedelta(days=MAX_DAYS):
        raise QueryError(f"a period of at most {MAX_DAYS} days")
    connection = (args.get("connection") or "").strip() or None
    return by, Period(since, until, connection)


def to_csv(report: dict[str, Any]) -> str:
    """One row per group; for reps, their share against their fair share."""
    shares = {r["rep"]: r for r in ((report.get("fairness") or {}).get("reps") or [])}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for g in report["groups"]:
        share = shares.get(g["key"], {}) if report["by"] == By.REP.value else {}
        conversion, loss = g["conversion"], g["loss"]
        writer.writerow([_cell(v) for v in (
            g["key"], g["leads"], g["routed"], g["time_to_assign"]["median_s"], g["time_to_assign"]["p90_s"],
            g["speed_to_lead"]["median_s"], g["speed_to_lead"]["p90_s"], g["speed_to_lead"]["touched"],
            g["sla_breaches"], g["accepted"], g["passed"], g["not_a_fit"],
            conversion["count"], conversion["rate"], conversion["low"], conversion["high"],
            loss["count"], loss["rate"], loss["low"], loss["high"],
            share.get("share"), share.get("fair_share"), share.get("expected"), share.get("deviation"))])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Keys come from data (rule names, lead sources): a spreadsheet must not run one as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


_RATE = {"type": "object", "properties": {k: {"type": ["number", "null"]} for k in ("count", "of", "rate", "low", "high")}}
_SPREAD = {"type": "object", "properties": {"median_s": {"type": ["number", "null"]}, "p90_s": {"type": ["number", "null"]}}}


def openapi_paths() -> dict[str, Any]:
    """``/metrics`` for ``connector/web/openapi.py``."""
    params = [
        {"name": "by", "in": "query", "schema": {"type": "string", "enum": [b.value for b in By], "default": "rep"}},
        {"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS,
                                                   "default": DEFAULT_DAYS}},
        {"name": "since", "in": "query", "description": "ISO 8601 date or date-time (instead of days)",
         "schema": {"type": "string"}},
        {"name": "until", "in": "query", "description": "ISO 8601 date (inclusive) or date-time; default now",
         "schema": {"type": "string"}},
        {"name": "connection", "in": "query", "schema": {"type": "string"}},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}},
    ]
    group = {"type": "object", "properties": {
        "key": {"type": "string"}, "leads": {"type": "integer"}, "routed": {"type": "integer"},
        "time_to_assign": _SPREAD, "speed_to_lead": _SPREAD, "sla_breaches": {"type": "integer"},
        "accepted": {"type": "integer"}, "passed": {"type": "integer"}, "not_a_fit": {"type": "integer"},
        "conversion": _RATE, "loss": _RATE, "fairness": {"type": ["object", "null"]}}}
    body = {"type": "object", "properties": {"by": {"type": "string"}, "since": {"type": "string"},
                                             "until": {"type": "string"}, "groups": {"type": "array", "items": group},
                                             "fairness": {"type": ["object", "null"]},
                                             "recommendations": {"type": "array", "items": {"type": "string"}}}}
    return {"/metrics": {"get": {
        "summary": "Lead metrics per rep, team, rule, source, connection, day or week: time to assign and "
                   "speed to lead (median, p90), SLA breaches, accept / pass / not-a-fit counts, conversion and "
                   "loss with 95 % Wilson intervals, fairness against fair share; CSV with format=csv",
        "operationId": "getMetrics", "parameters": params,
        "responses": {"200": {"description": "the figures", "content": {
            "application/json": {"schema": body}, "text/csv": {"schema": {"type": "string"}}}}}}}}
