"""The outcomes room: what happened to the leads we routed and what the figures say.

Outcome sync (``sync``) reads back, per routed lead and in batches by id, its CRM status, first
activity and won / lost result; ``metrics`` computes the dashboard's and the API's figures
(speed to lead, conversion with Wilson intervals, fairness); ``prometheus`` serves ``/metrics``;
``recommendations`` turns the figures into sentences; ``backtest`` and ``simulator`` replay stored
leads through a draft config against what happened; ``speed`` gives ``top_performer`` each rep's
speed to first touch. (A rep's "Not a fit" is handled in the
notify room, ``connector/notify/feedback.py``, and stored in this room's ``lead_feedback``.)
"""

from __future__ import annotations

from functools import partial

from flask import Flask


def init_app(app: Flask) -> None:
    """``/metrics``, the decision timer and the speed-to-first-touch loader on the pipeline, the
    ``backtest`` command, outcome sync (one job over every connection, once cluster-wide, at each
    connection's poll interval) and the counters' flush (in every process)."""
    from connector.outcomes import backtest_cli, prometheus, speed, sync
    from connector.outcomes.counters import FLUSH_SECONDS, flush_counts, observe_decision
    from connector.pipeline import jobs
    from connector.platform.scheduler import Job, get_scheduler

    prometheus.init_app(app)
    pipeline = jobs.runtime(app).pipeline
    pipeline.on_decided.append(observe_decision)
    pipeline.before_decide.append(speed.load_first_touch)
    app.cli.add_command(backtest_cli.backtest)
    scheduler = get_scheduler(app)
    scheduler.add_job(Job("outcomes", partial(jobs.for_each_connection, func=sync.sync_outcomes,
                                              due=jobs.DueTracker(), seconds=None), 5, run_once_cluster_wide=True))
    scheduler.add_job(Job("metrics.flush", flush_counts, FLUSH_SECONDS))
