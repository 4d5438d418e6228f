"""The control plane, mounted at /__sandbox__: JSON routes tests and the demo use to steer the
sandbox (reset, seed, clock, faults, request log, lead creation, generator, deliveries).
Vendor-specific control routes live in each vendor's `control_blueprint()`."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import flask

from sandbox.faults import FaultKind

CONTROL_PREFIX = "/__sandbox__"   # where the control plane is mounted


class ControlError(ValueError):
    pass


def json_body() -> dict:
    """The request's JSON object ({} when empty); ControlError (400) for anything else."""
    data = flask.request.get_json(silent=True, force=True)
    if data is None:
        if flask.request.get_data():
            raise ControlError("body must be a JSON object")
        return {}
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def _error(message: str, status: int) -> Any:
    return flask.jsonify({"error": message}), status


def register_errors(bp: flask.Blueprint, vendor_errors: tuple[type[Exception], ...] = ()) -> flask.Blueprint:
    """The control plane's one error policy, for its own routes and every vendor's: the answer is
    ``{"error": "<why>"}`` with 400 for a bad value (``ValueError``, ``TypeError``, ``ControlError``),
    404 for a name that names nothing (``KeyError``: no such org, portal, record, message), and
    for an error of the vendor's own (``vendor_errors``, raised by what the route asked the vendor
    to do: a refused owner, a missing record) the vendor's status with its message."""
    for cls in (ValueError, TypeError):
        bp.register_error_handler(cls, lambda exc: _error(str(exc), 400))
    bp.register_error_handler(KeyError, lambda exc: _error(str(exc.args[0]) if exc.args else "not found", 404))
    for cls in vendor_errors:
        bp.register_error_handler(cls, lambda exc: _error(str(exc), int(getattr(exc, "status", 400))))
    return bp


def vendor_blueprint(name: str, import_name: str, *vendor_errors: type[Exception]) -> flask.Blueprint:
    """A vendor's control blueprint, answering errors by the one policy (``register_errors``)."""
    return register_errors(flask.Blueprint(name, import_name), vendor_errors)


def _parse_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ControlError(f"not an ISO 8601 date-time: {value!r}") from None


def control_blueprint(sandbox: Any) -> flask.Blueprint:
    bp = register_errors(flask.Blueprint("sandbox_control", __name__))

    @bp.get("/")
    def describe() -> Any:
        return flask.jsonify(sandbox.describe())

    @bp.post("/reset")
    def reset() -> Any:
        sandbox.reset(reseed=bool(json_body().get("reseed", True)))
        return flask.jsonify({"ok": True, "seed": sandbox.seed_name})

    @bp.post("/seed")
    def seed() -> Any:
        org = json_body().get("org", "demo")
        sandbox.seed(org)
        return flask.jsonify({"ok": True, "org": org})

    @bp.route("/clock", methods=["GET", "POST"])
    def clock() -> Any:
        if flask.request.method == "POST":
            data = json_body()
            if "now" in data:
                sandbox.clock.set(_parse_time(data["now"]) if data["now"] is not None else None)
            if data.get("advance"):
                sandbox.clock.advance(float(data["advance"]))
        return flask.jsonify({"now": sandbox.clock.now().isoformat(),
                              "frozen": sandbox.clock.frozen})

    @bp.get("/faults")
    def list_faults() -> Any:
        return flask.jsonify({"faults": sandbox.faults.snapshot()})

    @bp.post("/faults")
    def add_fault() -> Any:
        data = json_body()
        kind = FaultKind(data.pop("kind", "error"))
        rule = sandbox.faults.add(kind, **data)
        return flask.jsonify(rule.to_dict()), 201

    @bp.delete("/faults")
    def clear_faults() -> Any:
        sandbox.faults.clear()
        return flask.jsonify({"faults": []})

    @bp.delete("/faults/<int:rule_id>")
    def delete_fault(rule_id: int) -> Any:
        if not sandbox.faults.remove(rule_id):
            raise KeyError(f"no fault {rule_id}")
        return "", 204

    @bp.get("/requests")
    def requests_log() -> Any:
        since = flask.request.args.get("since", type=int)
        vendor = flask.request.args.get("vendor") or None
        return flask.jsonify({"requests": sandbox.requests.list(vendor=vendor, since=since)})

    @bp.get("/stats")
    def stats() -> Any:
        return flask.jsonify(sandbox.requests.stats())

    @bp.post("/leads")
    def create_lead() -> Any:
        data = json_body()
        vendor = sandbox.vendor(data.pop("vendor", "salesforce"))
        return flask.jsonify(vendor.create_lead(data)), 201

    @bp.get("/records/<vendor>/<record_type>/<record_id>")
    def get_record(vendor: str, record_type: str, record_id: str) -> Any:
        record = sandbox.vendor(vendor).get_record(record_type, record_id)
        if record is None:
            raise KeyError(f"no {vendor} {record_type} {record_id}")
        return flask.jsonify(record)

    @bp.route("/generator", methods=["GET", "POST", "DELETE"])
    def generator() -> Any:
        if flask.request.method == "GET":
            return flask.jsonify({"running": sandbox.generator.running()})
        if flask.request.method == "DELETE":
            return flask.jsonify({"stopped": sandbox.generator.stop()})
        data = json_body()
        result = sandbox.generator.run(data.get("vendor", "salesforce"), count=data.get("count"),
                                       rate_per_minute=data.get("rate_per_minute"),
                                       seed=data.get("seed"))
        return flask.jsonify(result), 201

    @bp.route("/deliveries", methods=["GET", "POST"])
    def deliveries() -> Any:
        if flask.request.method == "POST":
            data = json_body()
            sandbox.deliveries.configure(**{k: data[k] for k in
                                            ("delay_factor", "duplicate_rate", "reorder_ms", "seed")
                                            if k in data})
        vendor = flask.request.args.get("vendor") or None
        return flask.jsonify({"settings": sandbox.deliveries.settings(),
                              "deliveries": sandbox.deliveries.list(vendor)})

    return bp
