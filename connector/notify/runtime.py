"""What the notify room keeps per app: its notifiers (one per configured channel), templates,
the Slack signing secret and its clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Flask, current_app

from connector.notify.base import Notifier
from connector.notify.content import Templates
from connector.notify.email import EmailNotifier
from connector.notify.slack import SlackNotifier

NOTIFIERS: dict[str, type[Notifier]] = {"slack": SlackNotifier, "email": EmailNotifier}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class NotifyRuntime:
    """What the notify room keeps per app (``app.extensions["leadrouter.notify"]``)."""

    notifiers: dict[str, Notifier]
    templates: Templates
    signing_secret: str | None
    clock: Callable[[], datetime] = _utcnow   # tests swap it to walk the SLA ladder
    extra: dict[str, Any] = field(default_factory=dict)


def build_notifiers(settings: Any, *, templates: Templates, accept_link: Callable[[dict], str | None] | None = None,
                    slack_ca_bundle: str | None = None, smtp_ca_bundle: str | None = None) -> dict[str, Notifier]:
    """One notifier per configured channel (a channel without settings is left out). A CA bundle
    replaces the system's trust store for that channel only (the sandbox's CA, a corporate proxy)."""
    options = {"slack": {"ca_bundle": slack_ca_bundle},
               "email": {"templates": templates, "accept_link": accept_link, "ca_bundle": smtp_ca_bundle}}
    built = {name: cls.from_settings(settings, **options[name]) for name, cls in NOTIFIERS.items()}
    return {name: notifier for name, notifier in built.items() if notifier is not None}



def get_runtime(app: Flask | None = None) -> NotifyRuntime:
    return (app or current_app).extensions["leadrouter.notify"]
