"""Notifications and the SLA loop: Slack and email notifiers behind one interface, the outbox,
Slack actions (Accept / Pass / Un-pause), the SLA ladder, auto-pause and the daily digest.

``init_app(app)`` builds the configured notifiers, registers ``POST /slack/actions`` (and the
email's accept link) and the scheduler jobs: outbox delivery, SLA check, digest.
"""

from __future__ import annotations

import logging

from flask import Flask

from connector.notify import actions, digest, outbox, readiness, sla
from connector.notify.base import Kind, Message, Notifier, NotifyError, NotifyEvent
from connector.notify.content import Templates
from connector.notify.email import EmailNotifier
from connector.notify.runtime import NOTIFIERS, NotifyRuntime, build_notifiers, get_runtime
from connector.notify.slack import SlackNotifier
from connector.pipeline.jobs import runtime as pipeline_runtime
from connector.platform import scheduler
from connector.platform.db import get_db
from connector.routing.active import RoutingConfigMissing, RoutingConfigs

log = logging.getLogger(__name__)


OUTBOX_EVERY_S = 5
DIGEST_EVERY_S = 60  # the digest goes out at the first check after its hour


def init_app(app: Flask) -> None:
    settings = app.config["LEADROUTER_SETTINGS"]
    templates = Templates(settings.notify_templates_dir)
    slack_ca, smtp_ca = settings.slack_ca_bundle, settings.smtp_ca_bundle
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
    pipeline_runtime(app).pipeline.on_written.append(
        lambda session, assignment, config, now: outbox.enqueue_assignment_notifications(
            session, assignment, config, now, settings=settings))
    pipeline_runtime(app).pipeline.on_owned.append(
        lambda session, assignment, lead, owner, config, now: readiness.tell_owner(
            session, config, assignment, lead, owner, now, settings=settings))

    configs = RoutingConfigs(get_db(app))

    def deliver(app: Flask) -> None:
        report = outbox.deliver_due(get_db(app), runtime.notifiers, runtime.clock())
        if report.sent or report.failed or report.retrying:
            log.info("notifications: %d sent, %d retrying, %d failed", report.sent, report.retrying, report.failed)

    def check(app: Flask) -> None:
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
