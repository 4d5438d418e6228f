"""Control plane for HubSpot, mounted at /__sandbox__/hubspot/ (tests and the demo drive it).

Every route acts on the default (seeded) portal unless ``?portal_id=`` names another one;
``POST /portals`` creates another portal (its own private-app token, owners and records)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

import flask

import sandbox.hubspot.errors as errors
from sandbox.control import json_body, vendor_blueprint

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.hubspot.state import HubSpotState


def blueprint(state: "HubSpotState") -> flask.Blueprint:
    bp = vendor_blueprint("hubspot_control", __name__, errors.HubSpotError)

    @bp.route("/portals", methods=["GET", "POST"])
    def portals() -> Any:
        """GET: every portal. POST {portal_id?, token?, app_secret?, region?, name?, webhook_url?,
        seed? ("demo" | null), leads? (unowned contacts already there)}: 201 and the new portal."""
        if flask.request.method == "POST":
            data = json_body()
            allowed = {"portal_id", "token", "app_secret", "region", "name", "webhook_url", "seed", "leads"}
            unknown = set(data) - allowed
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
            portal = state.add_portal(**data)
            with state.sandbox.lock:
                return flask.jsonify(portal.describe(state.sandbox.base_url)), 201
        with state.sandbox.lock:
            return flask.jsonify({"portals": [p.describe(state.sandbox.base_url)
                                              for p in state.portals.values()]})

    @bp.route("/webhooks", methods=["GET", "POST"])
    def webhooks() -> Any:
        """Settings {url, duplicate_rate, reorder, batch_window_ms, max_attempts, verify, seed}."""
        if flask.request.method == "POST":
            state.webhooks.configure(**json_body())
        return flask.jsonify({"settings": asdict(state.webhooks.settings),
                              "sent_events": len(state.webhooks.sent_events),
                              "deliveries": state.sandbox.deliveries.list("hubspot")})

    @bp.post("/webhooks/flush")
    def flush() -> Any:
        state.webhooks.flush()
        return flask.jsonify({"flushed": True})

    @bp.post("/reassign")
    def reassign() -> Any:
        """A human changes a contact's (or a lead's) owner in the HubSpot UI:
        {contact_id | lead_id, owner_id | owner}."""
        data = json_body()
        object_type, key = ("leads", "lead_id") if "lead_id" in data else ("contacts", "contact_id")
        with state.sandbox.lock:
            record = state.crm.store(object_type).find(str(data[key]))
            if record is None:
                raise KeyError(f"no {object_type[:-1]} {data[key]}")
            owner_id = data.get("owner_id")
            if owner_id is None and data.get("owner"):
                owner = state.owners.by_key(data["owner"])
                owner_id = owner.id if owner else data["owner"]
            state.crm.update(object_type, record, {"hubspot_owner_id": owner_id}, source="CRM_UI")
            return flask.jsonify(record.to_json(object_type, list(record.properties)))

    @bp.post("/activity")
    def activity() -> Any:
        """The owner's first sales activity on a contact: {contact_id, at?}."""
        data = json_body()
        with state.sandbox.lock:
            record = state.crm.store("contacts").find(str(data["contact_id"]))
            if record is None:
                raise KeyError(f"no contact {data['contact_id']}")
            at = (datetime.fromisoformat(data["at"].replace("Z", "+00:00")) if data.get("at")
                  else state.sandbox.clock.now())
            state.first_activity(record, at)
            return flask.jsonify(record.to_json("contacts", list(record.properties)))

    @bp.route("/limits", methods=["GET", "POST"])
    def limits() -> Any:
        """{ten_second_max, search_per_second, daily_max, enabled} and the search body limits
        {max_groups, max_filters_per_group, max_filters_total, max_limit, max_results}."""
        data = json_body() if flask.request.method == "POST" else {}
        search_keys = set(asdict(state.search_limits))
        for key in search_keys & set(data):
            setattr(state.search_limits, key, int(data.pop(key)))
        if data.pop("reset_counters", False):
            state.limiter.reset(settings=False)
        rate = state.limiter.configure(**data)
        return flask.jsonify({**rate, **asdict(state.search_limits)})

    @bp.get("/owners")
    def list_owners() -> Any:
        with state.sandbox.lock:
            return flask.jsonify([{**o.to_json(), "key": o.key} for o in state.owners.owners.values()])

    return bp
