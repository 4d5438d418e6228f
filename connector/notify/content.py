"""What a notification says: the payload stored on each outbox row, and the Jinja templates
(built in, overridable by admins) both channels render it with.

The payload holds everything a message needs, so a row can be sent, re-sent or rendered in the
settings page without reading the assignment again.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from connector.pipeline.models import Assignment

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"

def record_url(assignment: Assignment) -> str | None:
    """Where the rep opens the lead: the link the pipeline took from the connection's adapter."""
    url = (assignment.lead_summary or {}).get("url")
    return str(url) if url else None


def why(trace: list[dict[str, Any]]) -> str:
    """The rule that matched and the pick, from the decision trace: "why they got it"."""
    matched = [s["text"] for s in trace if s.get("step") == "rule" and s.get("result") == "matched"]
    picked = [s["text"] for s in trace if s.get("step") in ("pick", "fallback")]
    return "; ".join((matched[-1:] if matched else []) + picked[-1:]) or "assigned"


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def lead_payload(assignment: Assignment, rep: Any | None, record_link: str | None) -> dict[str, Any]:
    """The part every message about this lead shares."""
    rep_info = {"id": assignment.rep_id}
    if rep is not None:
        rep_info.update(name=rep.name or rep.id, email=rep.email, slack=rep.slack)
    return {"assignment_id": assignment.id, "connection": assignment.connection, "lead_id": assignment.lead_id,
            "lead": dict(assignment.lead_summary or {}), "rule": assignment.rule, "reason": why(assignment.trace or []),
            "record_url": record_link, "rep": rep_info, "written_at": iso(assignment.written_at),
            "sla_due_at": iso(assignment.sla_due_at)}


def when(value: str | None) -> str:
    """ISO time -> '2026-11-23 10:15 UTC' (messages go to people in many zones)."""
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def lead_title(payload: dict[str, Any]) -> str:
    lead = payload.get("lead") or {}
    name = lead.get("name") or lead.get("email") or payload.get("lead_id") or "lead"
    return f"{name} ({lead['company']})" if lead.get("company") else str(name)


class Templates:
    """Jinja templates per kind: ``<kind>.subject.txt``, ``<kind>.txt``, ``<kind>.html``. A file of
    the same name in the admin's folder replaces the built-in one."""

    def __init__(self, override_dir: str | Path | None = None) -> None:
        loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
        self.env = Environment(loader=ChoiceLoader(loaders + [FileSystemLoader(str(BUILTIN_TEMPLATES))]),
                               autoescape=select_autoescape(["html"]), undefined=ChainableUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self.env.filters["when"] = when
        self.env.globals["lead_title"] = lead_title

    def render(self, kind: str, fmt: str, /, **context: Any) -> str:
        return self.env.get_template(f"{kind}.{fmt}").render(**context)
