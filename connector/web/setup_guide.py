"""The connections page's setup guidance: for each connection, the steps of its CRM's guide
(docs/hubspot-setup.md, docs/salesforce-setup.md) with the exact values to paste (this
installation's webhook URLs, the subscriptions, scopes and Flow condition the guides state) and,
where leadrouter can tell, whether the step works: the CRM answered N minutes ago (connection
health), a webhook arrived N minutes ago (the inbox), a secret is set. Slack and email likewise.
The guides themselves are served at /settings/connections/guides/<name>.md.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy import func, select

from connector.pipeline.models import InboxEvent, SeenEvent, Source

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = {"hubspot": "hubspot-setup.md", "salesforce": "salesforce-setup.md", "slack": "slack-setup.md",
          "email": "email-setup.md"}
HUBSPOT_SCOPES = ["crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.owners.read",
                  "crm.objects.companies.read", "crm.schemas.contacts.read"]
HUBSPOT_LEADS_SCOPES = ["crm.objects.leads.read", "crm.objects.leads.write"]
SLACK_SCOPES = ["chat:write", "im:write", "users:read", "users:read.email"]
FLOW_CONDITION = 'BEGINS({!$Record.OwnerId}, "00G")'


@dataclass
class Step:
    title: str
    text: str
    values: list[tuple[str, str]] = field(default_factory=list)   # (label, value to paste)
    ok: bool | None = None                                         # None: nothing leadrouter can check
    status: str = ""
    guide: str = ""                                                # "hubspot-setup.md#2-webhook-subscriptions"


def ago(when: datetime | str | None, now: datetime) -> str:
    if when is None:
        return ""
    when = datetime.fromisoformat(when) if isinstance(when, str) else when
    minutes = int((now - when).total_seconds() // 60)
    if minutes < 1:
        return "less than a minute ago"
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    return f"{minutes // 60} hours ago" if minutes < 48 * 60 else f"on {when:%Y-%m-%d}"


def last_webhooks(db: Any) -> dict[str, datetime]:
    """connection -> when its newest webhook, outbound message or signed inbound post arrived."""
    out: dict[str, datetime] = {}
    with db.session() as session:
        rows = [*session.execute(select(SeenEvent.connection, func.max(SeenEvent.seen_at)).group_by(SeenEvent.connection)),
                *session.execute(select(InboxEvent.connection, func.max(InboxEvent.received_at))
                                 .where(InboxEvent.source.in_([Source.WEBHOOK, Source.INBOUND]))
                                 .group_by(InboxEvent.connection))]
    for name, at in rows:
        if at is not None and (name not in out or at > out[name]):
            out[name] = at
    return out


def _calls(health: dict | None, crm: str, now: datetime) -> tuple[bool | None, str]:
    if health and health.get("last_error") and (not health.get("last_ok_at")
                                                or health["last_error"]["at"] > health["last_ok_at"]):
        return False, f"the last call failed {ago(health['last_error']['at'], now)}: {health['last_error']['message']}"
    if health and health.get("last_ok_at"):
        return True, f"{crm} answered {ago(health['last_ok_at'], now)}"
    return None, "no call seen yet: press Test connection"


def _arrived(at: datetime | None, what: str, now: datetime) -> tuple[bool | None, str]:
    """``what``: "webhook", "outbound message"."""
    if at is None:
        return None, f"no {what} received yet (the poller still finds new records)"
    return True, f"{'an' if what[0] in 'aeiou' else 'a'} {what} received {ago(at, now)}"


def hubspot_steps(name: str, spec: Any, urls: dict[str, str], health: dict | None, webhook: datetime | None,
                  now: datetime) -> list[Step]:
    leads = getattr(spec, "object", "contacts") == "leads"
    scopes = HUBSPOT_SCOPES + (HUBSPOT_LEADS_SCOPES if leads else [])
    events = ([("Subscription", "object.creation of the Leads object (0-136)"),
               ("Subscription", "object.propertyChange of the Leads object, property hubspot_owner_id")] if leads else
              [("Subscription", "contact.creation"), ("Subscription", "contact.propertyChange, property hubspot_owner_id")])
    secret = getattr(spec, "app_secret", None) is not None
    return [
        Step("An access token with these scopes", "A private app's or project app's token (a service key has no "
             "webhooks: then only the poller routes).", [("Scope", s) for s in scopes],
             *_calls(health, "HubSpot", now), guide="hubspot-setup.md#1-a-token"),
        Step("Webhook subscriptions", "Point the app's webhooks at this URL and subscribe to:",
             [("Target URL", urls["webhook"]), *events], *_arrived(webhook, "webhook", now),
             guide="hubspot-setup.md#2-webhook-subscriptions"),
        Step("The app secret", "The app's client secret signs every delivery; without it each one is refused (401).",
             [], secret, "set" if secret else "not set: set app_secret on this connection",
             guide="hubspot-setup.md#2-webhook-subscriptions"),
    ]


def salesforce_steps(name: str, spec: Any, urls: dict[str, str], health: dict | None, webhook: datetime | None,
                     now: datetime) -> list[Step]:
    org = getattr(spec, "org_id", None)
    queues = ", ".join(getattr(spec, "intake_queues", None) or []) or "any queue"
    return [
        Step("The integration user and its app", f"OAuth flow: {getattr(spec, 'auth', None) or 'from the keys set'}; "
             "the user needs API Enabled, Lead Read/Edit/View All, Transfer Leads.",
             [("Login URL", str(getattr(spec, "url", "")))], *_calls(health, "Salesforce", now),
             guide="salesforce-setup.md#1-the-integration-user"),
        Step("Intake queues", "New leads land in a queue (assignment rule entries, Default Lead Owner); leadrouter "
             "routes the leads these queues own.", [("Queues", queues)], guide="salesforce-setup.md#3-intake-queues"),
        Step("Your assignment rule", "Every owner write is sent with Sforce-Auto-Assign: FALSE, so your rule does not "
             "undo it; keep the rule entries that send new leads to the intake queue.",
             [("Header sent", "Sforce-Auto-Assign: FALSE")],
             guide="salesforce-setup.md#4-your-assignment-rule-and-sforce-auto-assign"),
        Step("Outbound message from a record-triggered Flow", "Outbound message on Lead with the fields Id and "
             "SystemModstamp, sent by a Flow on lead creation with this entry condition:",
             [("Endpoint URL", urls["webhook"]), ("Flow entry condition", FLOW_CONDITION),
              *([("Org id", org)] if org else [])],
             *(_arrived(webhook, "outbound message", now) if org else
               (False, "org_id is not set: every outbound message is refused (403)")),
             guide="salesforce-setup.md#5-real-time-an-outbound-message-from-a-record-triggered-flow"),
    ]


STEPS = {"hubspot": hubspot_steps, "salesforce": salesforce_steps}


def connection_steps(name: str, spec: Any, urls: dict[str, str], health: dict | None,
                     webhook: datetime | None, now: datetime | None = None) -> list[Step]:
    kind = str(getattr(getattr(spec, "kind", None), "value", getattr(spec, "kind", "")))
    build = STEPS.get(kind)
    return build(name, spec, urls, health, webhook, now or datetime.now(timezone.utc)) if build else []


def notification_steps(settings: Any, base_url: str) -> list[Step]:
    token, secret = settings.slack_bot_token is not None, settings.slack_signing_secret is not None
    return [
        Step("Slack app", "Bot token scopes, and the Interactivity Request URL where the buttons' clicks arrive.",
             [*(("Bot scope", s) for s in SLACK_SCOPES), ("Request URL", f"{base_url.rstrip('/')}/slack/actions")],
             token and secret, "bot token and signing secret set" if token and secret else
             "set LEADROUTER_SLACK_BOT_TOKEN and LEADROUTER_SLACK_SIGNING_SECRET", guide="slack-setup.md"),
        Step("Email (SMTP)", "Notifications by email, with an accept link.", [], settings.smtp_url is not None,
             "LEADROUTER_SMTP_URL set" if settings.smtp_url else "not set: no email is sent (LEADROUTER_SMTP_URL)",
             guide="email-setup.md"),
    ]


_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_HEADING = re.compile(r"<h([1-3])>(.*?)</h\1>")


def _anchor(match: re.Match) -> str:
    """GitHub's heading ids (lower case, punctuation dropped, spaces to hyphens): the guides link to them."""
    text = re.sub(r"<[^>]+>", "", html.unescape(match.group(2))).strip().lower()
    slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
    return f'<h{match.group(1)} id="{html.escape(slug)}">{match.group(2)}</h{match.group(1)}>'


def guide_html(name: str) -> str | None:
    """A guide of docs/ as HTML (raw HTML in it is not passed through), or None."""
    if name not in {*GUIDES.values(), "connections.md", "production.md", "routing-config.md"}:
        return None
    path = DOCS / name
    return _HEADING.sub(_anchor, _MARKDOWN.render(path.read_text(encoding="utf-8"))) if path.exists() else None
