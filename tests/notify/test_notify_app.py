"""The room's wiring: init_app registers POST /slack/actions and the scheduler jobs, builds only
the notifiers that are configured, and its jobs do the work."""

from __future__ import annotations

import logging

import pytest

from connector.platform import scheduler
from tests.notify.conftest import Kit, make_kit, notify_app
from tests.support.waiting import wait_until


@pytest.fixture
def scheduled(make_app, crm, crm_control, sandbox, caplog):
    """The kit with the real scheduler running its registered jobs (as `run` and `worker` do)."""
    made = make_kit(make_app, crm, crm_control, LEADROUTER_SLA_CHECK_SECONDS=1)
    sched = scheduler.get_scheduler(made.app)
    caplog.set_level(logging.INFO, logger="connector.platform.scheduler")
    yield made, sched
    sched.shutdown(wait=True)
    failed = [r.getMessage() for r in caplog.records if r.name == "connector.platform.scheduler" and r.levelno >= logging.ERROR]
    assert failed == []  # no job may fail on its tick (the jobs once crashed on every tick)


def test_the_jobs_are_registered_and_the_scheduler_runs_the_outbox(scheduled):
    kit, sched = scheduled
    assert {"notify.outbox", "notify.sla", "notify.digest"} <= set(sched.jobs)
    assert sched.jobs["notify.sla"].run_once_cluster_wide and not sched.jobs["notify.outbox"].run_once_cluster_wide
    kit.written("maya", rule="quiet")
    sched.start()
    texts = wait_until(lambda: [m["message"]["text"] for m in kit.messages()], 15, "the outbox job to send", every=0.1)
    assert texts == ["New lead for you: Zoë Novak (Novak Robotics)"]


def test_the_scheduler_walks_the_sla_ladder(scheduled):
    kit, sched = scheduled
    kit.written("maya")
    kit.advance(16)
    sched.start()
    wait_until(lambda: any(m["message"]["text"].startswith("Reminder:") for m in kit.messages()), 20,
               "the SLA job's reminder, sent by the outbox job", every=0.1)


def test_without_slack_or_smtp_settings_there_are_no_notifiers_and_actions_are_refused(make_app, crm, sandbox):
    app = notify_app(make_app, crm)
    assert app.extensions["leadrouter.notify"].notifiers == {}
    answer = app.test_client().post("/slack/actions", data={"payload": "{}"})
    assert answer.status_code == 401


def test_without_slack_or_smtp_nothing_is_queued_that_could_only_fail(make_app, crm, crm_control, sandbox):
    from sqlalchemy import func, select

    from connector.notify.models import Notification

    kit = Kit(notify_app(make_app, crm), sandbox, crm_control, crm.url)
    kit.written("maya", rule="quiet")  # a rule without `notify`: the default targets
    with kit.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
