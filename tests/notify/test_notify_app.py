"""The room's wiring: init_app registers POST /slack/actions and the scheduler jobs, builds only
the notifiers that are configured, and its jobs do the work."""

from __future__ import annotations

from connector import scheduler
from tests.notify.conftest import build_app


def test_the_jobs_are_registered_and_the_outbox_job_sends(kit):
    jobs = scheduler.get_scheduler(kit.app).jobs
    assert {"notify.outbox", "notify.sla", "notify.digest"} <= set(jobs)
    assert jobs["notify.sla"].run_once_cluster_wide and not jobs["notify.outbox"].run_once_cluster_wide
    kit.written("maya", rule="quiet")
    with kit.app.app_context():
        jobs["notify.outbox"].func(kit.app)
    assert [m["message"]["text"] for m in kit.messages()] == ["New lead for you: Zoë Novak (Novak Robotics)"]


def test_the_sla_job_walks_the_ladder(kit):
    kit.written("maya")
    kit.advance(16)
    with kit.app.app_context():
        scheduler.get_scheduler(kit.app).jobs["notify.sla"].func(kit.app)
        scheduler.get_scheduler(kit.app).jobs["notify.outbox"].func(kit.app)
    assert any(m["message"]["text"].startswith("Reminder:") for m in kit.messages())


def test_without_slack_or_smtp_settings_there_are_no_notifiers_and_actions_are_refused(tmp_path, sqlite_url,
                                                                                      slack_sandbox, sandbox):
    app = build_app(sqlite_url, tmp_path / "var", slack_sandbox)
    try:
        assert app.extensions["leadrouter.notify"].notifiers == {}
        answer = app.test_client().post("/slack/actions", data={"payload": "{}"})
        assert answer.status_code == 401
    finally:
        app.extensions["leadrouter.db"].dispose()
