"""``GET /metrics``: Prometheus' text format (prometheus_client), safe under gunicorn with any
number of web and worker processes on any number of nodes, because nothing is kept per process:
at scrape time the collector reads the database (the lead log, the inbox, and the counters
every process adds to, ``counters.py``), so every process answers the same.

    leadrouter_leads_total{connection,status}          leads that reached each pipeline status
    leadrouter_time_to_assign_seconds{connection}      histogram: received -> owner written
    leadrouter_inbox_pending{connection}               inbox rows not yet routed (pending or claimed)
    leadrouter_crm_requests_total{connection,outcome}  CRM calls: ok, or the error's kind
    leadrouter_decision_seconds{connection}            histogram: the engine's decide() per lead
    leadrouter_outcomes_total{connection,result}       routed leads won / lost (outcome sync)
    leadrouter_feedback_total{reason}                  reps' "Not a fit", by reason

Access: with ``LEADROUTER_METRICS_TOKEN`` set, ``Authorization: Bearer <token>``; without it,
loopback clients only, and never a request a proxy forwarded (it would come from loopback too).
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import Float, case, cast, func, select

from connector.outcomes import counters
from connector.outcomes.counters import flush_counts
from connector.outcomes.models import LeadFeedback, LeadOutcome
from connector.pipeline.models import Assignment, AssignmentEvent, InboxEvent, InboxStatus, LeadStatus
from connector.platform.db import Database, get_db

bp = Blueprint("metrics", __name__)
bp.login_exempt = True  # type: ignore[attr-defined] — it authenticates its own requests

TIME_TO_ASSIGN_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)
PIPELINE_STATUSES = [s.value for s in LeadStatus]
FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _seconds(session, start, end):
    """``end - start`` in seconds, in the database's own arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


class DatabaseCollector:
    """Every family read from the database at scrape time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self):
        with self.db.session() as session:
            yield self._leads(session)
            yield self._time_to_assign(session)
            yield self._inbox(session)
            yield self._outcomes(session)
            yield self._feedback(session)
        stored = counters.stored(self.db, counters.CRM_REQUESTS, *(f"{counters.DECISION}_{part}"
                                                                      for part in ("bucket", "sum", "count")))
        yield self._crm_requests(stored[counters.CRM_REQUESTS])
        yield self._decisions(stored)

    @staticmethod
    def _leads(session) -> CounterMetricFamily:
        return _family(CounterMetricFamily, "leadrouter_leads", "Leads that reached each pipeline status.",
                       ["connection", "status"], session.execute(
                           select(Assignment.connection, AssignmentEvent.status,
                                  func.count(func.distinct(AssignmentEvent.assignment_id)))
                           .join(Assignment, Assignment.id == AssignmentEvent.assignment_id)
                           .where(AssignmentEvent.status.in_(PIPELINE_STATUSES))
                           .group_by(Assignment.connection, AssignmentEvent.status)
                           .order_by(Assignment.connection, AssignmentEvent.status)))

    @staticmethod
    def _time_to_assign(session) -> HistogramMetricFamily:
        family = HistogramMetricFamily("leadrouter_time_to_assign_seconds",
                                       "Seconds from a lead's arrival to its owner written in the CRM.",
                                       labels=["connection"])
        seconds = cast(_seconds(session, Assignment.received_at, Assignment.written_at), Float)
        columns = [func.sum(case((seconds <= le, 1), else_=0)) for le in TIME_TO_ASSIGN_BUCKETS]
        rows = session.execute(select(Assignment.connection, func.count(), func.sum(seconds), *columns)
                               .where(Assignment.written_at.is_not(None))
                               .group_by(Assignment.connection).order_by(Assignment.connection))
        for connection, count, total, *cumulative in rows:
            buckets = [(f"{le:g}", float(n or 0)) for le, n in zip(TIME_TO_ASSIGN_BUCKETS, cumulative)]
            family.add_metric([connection], buckets + [("+Inf", float(count))], float(total or 0))
        return family

    @staticmethod
    def _inbox(session) -> GaugeMetricFamily:
        return _family(GaugeMetricFamily, "leadrouter_inbox_pending", "Inbox rows waiting to be routed.",
                       ["connection"], session.execute(
                           select(InboxEvent.connection, func.count()).where(InboxEvent.status != InboxStatus.DONE)
                           .group_by(InboxEvent.connection).order_by(InboxEvent.connection)))

    @staticmethod
    def _outcomes(session) -> CounterMetricFamily:
        return _family(CounterMetricFamily, "leadrouter_outcomes", "Routed leads won or lost, read back from the CRM.",
                       ["connection", "result"], session.execute(
                           select(Assignment.connection, LeadOutcome.result, func.count())
                           .join(Assignment, Assignment.id == LeadOutcome.assignment_id)
                           .where(LeadOutcome.result.is_not(None))
                           .group_by(Assignment.connection, LeadOutcome.result)
                           .order_by(Assignment.connection, LeadOutcome.result)))

    @staticmethod
    def _feedback(session) -> CounterMetricFamily:
        return _family(CounterMetricFamily, "leadrouter_feedback", "Reps' \"Not a fit\", by reason.", ["reason"],
                       session.execute(select(LeadFeedback.reason, func.count())
                                       .group_by(LeadFeedback.reason).order_by(LeadFeedback.reason)))

    @staticmethod
    def _crm_requests(rows) -> CounterMetricFamily:
        return _family(CounterMetricFamily, "leadrouter_crm_requests", "Requests to the CRMs, by outcome.",
                       ["connection", "outcome"],
                       [(labels.get("connection", ""), labels.get("outcome", ""), value) for labels, value in rows])

    @staticmethod
    def _decisions(stored) -> HistogramMetricFamily:
        family = HistogramMetricFamily("leadrouter_decision_seconds", "Seconds the routing engine took per lead.",
                                       labels=["connection"])
        name = counters.DECISION
        sums = {labels["connection"]: value for labels, value in stored[f"{name}_sum"]}
        totals = {labels["connection"]: value for labels, value in stored[f"{name}_count"]}
        for connection in sorted(totals):
            per_le = {labels["le"]: value for labels, value in stored[f"{name}_bucket"]
                      if labels.get("connection") == connection}
            running, buckets = 0.0, []
            for le in counters.DECISION_BUCKETS:
                running += per_le.get(f"{le:g}", 0.0)
                buckets.append((f"{le:g}", running))
            family.add_metric([connection], buckets + [("+Inf", totals[connection])], sums.get(connection, 0.0))
        return family


def _family(kind, name: str, documentation: str, labels: list[str], rows):
    """A counter or gauge family from rows of (label values..., value)."""
    family = kind(name, documentation, labels=labels)
    for *values, count in rows:
        family.add_metric([str(v) for v in values], count)
    return family


def allowed() -> tuple[bool, int, str]:
    """(allowed, status if not, why not)."""
    token = current_app.config["LEADROUTER_SETTINGS"].metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        good = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())
        return good, 401, "Authorization: Bearer <LEADROUTER_METRICS_TOKEN> is required"
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    proxied = any(request.headers.get(h) for h in FORWARDED)
    return loopback and not proxied, 403, "set LEADROUTER_METRICS_TOKEN to scrape /metrics from another host"


@bp.get("/metrics")
def metrics():
    ok, status, why = allowed()
    if not ok:
        headers = {"WWW-Authenticate": 'Bearer realm="leadrouter metrics"'} if status == 401 else {}
        return Response(why + "\n", status=status, mimetype="text/plain", headers=headers)
    db = get_db()
    flush_counts(current_app)   # this process's own counts are in the answer too
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db))
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
