"""Slack Block Kit messages, one builder per kind (a table, not if/elif), plus the in-place
update shown after Accept / Pass. Texts are mrkdwn: every value that comes from data (lead
fields, names, numbers, URLs) goes through ``esc`` (&, < and > as HTML entities, Slack's rules
for text objects and the top-level ``text``, which ``slack.py`` escapes as a whole), so no lead
field can add a mention (``<!channel>``) or a link. The ``plain_text`` objects here are fixed labels."""

from __future__ import annotations

from typing import Any, Callable

from connector.notify.content import lead_title, when
from connector.outcomes.models import FeedbackReason

ACCEPT, PASS, UNPAUSE = "lead_accept", "lead_pass", "rep_unpause"
NOT_A_FIT = {reason: f"lead_not_a_fit_{reason.value}" for reason in FeedbackReason}   # one button per reason


def esc(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: Any, label: str) -> str:
    """``<url|label>`` for an http(s) URL, the label already escaped. The URL is escaped too and
    its ``|`` percent-encoded, so neither can close the link or open a mention; any other
    scheme (javascript:, slack:, ...) gets no link, only the label."""
    text = str(url or "").strip()
    if not text.lower().startswith(("https://", "http://")) or any(c.isspace() for c in text):
        return label
    return f"<{esc(text).replace('|', '%7C')}|{label}>"


def _title(payload: dict) -> str:
    return link(payload.get("record_url"), esc(lead_title(payload)))


def _rep(payload: dict) -> str:
    rep = payload.get("rep") or {}
    return esc(rep.get("name") or rep.get("id") or "nobody")


def _lead_blocks(payload: dict, headline: str) -> list[dict]:
    lead = payload.get("lead") or {}
    fields = [f"*{label}*\n{esc(lead[key])}" for label, key in
              (("Company", "company"), ("Country", "country"), ("Score", "score"), ("Email", "email"))
              if lead.get(key) not in (None, "")]
    fields.append(f"*Rule*\n{esc(payload.get('rule') or 'fallback')}")
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": headline}},
                          {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
                          {"type": "context", "elements": [
                              {"type": "mrkdwn", "text": f"Why: {esc(payload.get('reason', ''))}"}]}]
    if payload.get("sla_due_at"):
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"First touch due by {when(payload['sla_due_at'])}"}]})
    return blocks


def _buttons(payload: dict) -> dict:
    value = str(payload["assignment_id"])
    return {"type": "actions", "block_id": f"lead:{value}", "elements": [
        {"type": "button", "action_id": ACCEPT, "style": "primary", "value": value,
         "text": {"type": "plain_text", "text": "Accept"}},
        {"type": "button", "action_id": PASS, "value": value, "text": {"type": "plain_text", "text": "Pass"},
         "confirm": {"title": {"type": "plain_text", "text": "Pass this lead?"},
                     "text": {"type": "mrkdwn", "text": "It goes to the next eligible rep, never back to you."},
                     "confirm": {"type": "plain_text", "text": "Pass"},
                     "deny": {"type": "plain_text", "text": "Keep it"}}}, *_not_a_fit(value)]}


def _not_a_fit(value: str) -> list[dict]:
    """"Not a fit · <reason>": stored as the rep's feedback; the two that re-route ask first."""
    elements = []
    for reason, action_id in NOT_A_FIT.items():
        button = {"type": "button", "action_id": action_id, "value": value,
                  "text": {"type": "plain_text", "text": f"Not a fit · {reason.label}"}}
        if reason.reroutes:
            button["confirm"] = {"title": {"type": "plain_text", "text": "Not a fit?"},
                                 "text": {"type": "mrkdwn", "text": "It goes to the next eligible rep, never back to you."},
                                 "confirm": {"type": "plain_text", "text": "Send it on"},
                                 "deny": {"type": "plain_text", "text": "Keep it"}}
        elements.append(button)
    return elements


def assigned(payload: dict) -> tuple[str, list[dict]]:
    if payload.get("actionable"):
        text = f"New lead for you: {lead_title(payload)}"
        headline = f":inbox_tray: *New lead for you:* {_title(payload)}"
        return text, _lead_blocks(payload, headline) + [_buttons(payload)]
    text = f"New lead: {lead_title(payload)}, assigned to {(payload.get('rep') or {}).get('name')}"
    return text, _lead_blocks(payload, f":inbox_tray: *New lead:* {_title(payload)} → {_rep(payload)}")


def reminder(payload: dict) -> tuple[str, list[dict]]:
    text = f"Reminder: {lead_title(payload)} is waiting for a first touch"
    headline = (f":alarm_clock: *Reminder:* {_title(payload)} has waited {esc(payload.get('overdue_minutes', 0))} "
                f"minutes past its SLA for a first touch.")
    blocks = _lead_blocks(payload, headline)
    return text, blocks + ([_buttons(payload)] if payload.get("actionable") else [])


def escalation(payload: dict) -> tuple[str, list[dict]]:
    text = f"SLA breach: {lead_title(payload)} not touched by {(payload.get('rep') or {}).get('name')}"
    headline = (f":rotating_light: *SLA breach:* {_title(payload)}, assigned to {_rep(payload)}, has had no first "
                f"touch {esc(payload.get('overdue_minutes', 0))} minutes past its SLA.")
    return text, _lead_blocks(payload, headline)


def paused(payload: dict) -> tuple[str, list[dict]]:
    who = _rep(payload)
    text = (f"{(payload.get('rep') or {}).get('name')} was paused: {payload.get('breaches')} leads in a row "
            "breached their SLA")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": (
        f":pause_button: *{who} is paused*: {esc(payload.get('breaches'))} leads in a row had no first touch within "
        "their SLA. Paused reps get no new leads until un-paused (here or on the settings page).")}}]
    if payload.get("actionable"):
        blocks.append({"type": "actions", "block_id": f"rep:{payload['rep']['id']}", "elements": [
            {"type": "button", "action_id": UNPAUSE, "value": str(payload["rep"]["id"]),
             "text": {"type": "plain_text", "text": "Un-pause"}}]})
    return text, blocks


def digest(payload: dict) -> tuple[str, list[dict]]:
    lines = [f"*{esc(payload.get('team_name') or payload.get('team'))}*, {esc(payload.get('day'))}: "
             f"{esc(payload.get('routed', 0))} leads routed, "
             f"median speed to lead {esc(payload.get('speed_to_lead') or 'n/a')}, "
             f"{esc(payload.get('breaches', 0))} SLA breaches, {esc(payload.get('accepted', 0))} accepted."]
    for rep in payload.get("reps", []):
        lines.append(f"• {esc(rep['name'])}: {esc(rep['routed'])} routed, {esc(rep['breaches'])} breaches")
    text = f"Daily lead routing digest: {payload.get('routed', 0)} leads routed"
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]


def ready(payload: dict) -> tuple[str, list[dict]]:
    """A lead the rep owns became sales-ready (an ``alert: owner`` rule): it stays theirs."""
    text = f"Sales-ready: {lead_title(payload)}"
    headline = (f":fire: *Sales-ready:* {_title(payload)}, a lead you own, now meets rule "
                f"{esc(payload.get('rule') or '')}. It stays yours.")
    return text, _lead_blocks(payload, headline)


def withdrawn(payload: dict) -> tuple[str, list[dict]]:
    return resolved(payload, payload.get("note") or "This lead was re-routed.")


BUILDERS: dict[str, Callable[[dict], tuple[str, list[dict]]]] = {
    "assigned": assigned, "reminder": reminder, "escalation": escalation, "paused": paused, "digest": digest,
    "withdrawn": withdrawn, "ready": ready,
}


def resolved(payload: dict, note: str) -> tuple[str, list[dict]]:
    """The rep's message after Accept / Pass: the same lead, the buttons replaced by what happened."""
    blocks = _lead_blocks(payload, f":inbox_tray: *Lead:* {_title(payload)}")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": esc(note)}]})
    return f"{lead_title(payload)}: {note}", blocks
