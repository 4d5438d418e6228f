"""Notifications and the SLA loop: Slack and email notifiers behind one interface, the outbox,
Slack actions (Accept / Pass / Un-pause), the SLA ladder, auto-pause and the daily digest.

``init_app(app)`` builds the configured notifiers, registers ``POST /slack/actions`` (and the
email's accept link) and the scheduler jobs: outbox delivery, SLA check, digest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Flask

from connector.notify.base import Kind, Message, Notifier, NotifyError, NotifyEvent
from connector.notify.content import Templates
from connector.notify.email import EmailNotifier
from connector.notify.slack import SlackNotifier

log = logging.getLogger(__name__)

NOTIFIERS: dict[str, type[Notifier]] = {"slack": SlackNotifier, "email": EmailNotifier}

OUTBOX_EVERY_S = 5
DIGEST_EVERY_S = 60  # the digest goes out at the first check after its hour


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


def get_runtime(app: Flask) -> NotifyRuntime:
    return app.extensions["leadrouter.notify"]


def init_app(app: Flask) -> None:
    from connector.platform import scheduler
    from connector.platform.db import get_db
    from connector.notify import actions, digest, outbox, sla
    from connector.routing.active import RoutingConfigs

    settings = app.config["LEADROUTER_SETTINGS"]
    # LEADROUTER_NOTIFY_TEMPLATES_DIR once settings has it; app.config["NOTIFY_TEMPLATES_DIR"] meanwhile.
    templates = Templates(app.config.get("NOTIFY_TEMPLATES_DIR") or getattr(settings, "notify_templates_dir", None))
    # LEADROUTER_SLACK_CA_BUNDLE / LEADROUTER_SMTP_CA_BUNDLE once settings has them; app.config meanwhile.
    slack_ca = app.config.get("NOTIFY_SLACK_CA_BUNDLE") or getattr(settings, "slack_ca_bundle", None)
    smtp_ca = app.config.get("NOTIFY_SMTP_CA_BUNDLE") or getattr(settings, "smtp_ca_bundle", None)
    base_url = settings.base_url.rstrip("/")

    def accept_link(payload: dict) -> str | None:
        rep = (payload.get("rep") or {}).get("id")
        if not payload.get("assignment_id"):
            return None
        return f"{base_url}/notify/accept/{actions.accept_token(app.secret_key, payload['assignment_id'], rep)}"

    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    notifiers = build_notifiers(settings, templates=templates, accept_link=accept_link,
                                slack_ca_bundle=str(slack_ca) if slack_ca else None,
                                smtp_ca_bundle=str(smtp_ca) if smtp_ca else None)
    runtime = NotifyRuntime(notifiers, templates, secret)
    app.extensions["leadrouter.notify"] = runtime
    app.register_blueprint(actions.bp)

    configs = RoutingConfigs(get_db(app))

    def deliver(app: Flask) -> None:
        report = outbox.deliver_due(get_db(app), runtime.notifiers, runtime.clock())
        if report.sent or report.failed or report.retrying:
            log.info("notifications: %d sent, %d retrying, %d failed", report.sent, report.retrying, report.failed)

    def check(app: Flask) -> None:
        from connector.routing.active import RoutingConfigMissing

        try:
            sla.check_sla(get_db(app), configs, runtime.clock(), settings=settings)
        except RoutingConfigMissing:
            pass  # nothing routed yet, nothing to check

    def daily(app: Flask) -> None:
        digest.send_due(get_db(app), configs, runtime.clock(), settings=settings)

    jobs = scheduler.get_scheduler(app)
    jobs.add_job(scheduler.Job("notify.outbox", deliver, OUTBOX_EVERY_S))
    jobs.add_job(scheduler.Job("notify.sla", check, settings.sla_check_seconds, run_once_cluster_wide=True))
    jobs.add_job(scheduler.Job("notify.digest", daily, DIGEST_EVERY_S, run_once_cluster_wide=True))


__all__ = ["EmailNotifier", "Kind", "Message", "NOTIFIERS", "Notifier", "NotifyError", "NotifyEvent",
           "NotifyRuntime", "SlackNotifier", "build_notifiers", "get_runtime", "init_app"]
