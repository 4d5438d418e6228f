"""Lead metrics over HTTP: ``GET /api/v1/metrics`` (JSON, or CSV with ``format=csv``; a token as
every API call) and ``GET /settings/metrics.csv`` (the dashboard's download, signed in). Both
take the same query (``connector.outcomes.export.parse_query``): ``by``, ``days`` or
``since``/``until``, ``connection``."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Flask, Response, jsonify, request

from connector.outcomes.export import QueryError, parse_query, to_csv
from connector.outcomes.report import with_recommendations
from connector.platform.db import get_db
from connector.routing.active import RoutingConfigs
from connector.web.api import error, token_required

bp = Blueprint("api_metrics", __name__, url_prefix="/api/v1")
pages = Blueprint("web_metrics", __name__)


def _report():
    now = datetime.now(timezone.utc)
    by, period = parse_query(request.args, now)
    db = get_db()
    return with_recommendations(db, RoutingConfigs(db), by, period, now)


def _csv(body: dict) -> Response:
    name = f"leadrouter-metrics-by-{body['by']}-{body['since'][:10]}-{body['until'][:10]}.csv"
    return Response(to_csv(body), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/metrics")
@token_required
def get_metrics():
    try:
        body = _report()
    except QueryError as exc:
        return error(400, str(exc))
    return _csv(body) if request.args.get("format") == "csv" else jsonify(body)


@pages.get("/settings/metrics.csv")
def download():
    try:
        body = _report()
    except QueryError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    return _csv(body)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(pages)
