"""Salesforce control routes, mounted at /__sandbox__/salesforce/: expire sessions, a human
reassigning a lead (now or after N more API calls), the daily API limit, the assignment rule,
more orgs (``POST /orgs``). Each acts on the default org unless ``?org_id=`` names another."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flask

from sandbox.control import json_body, vendor_blueprint
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.versions import DEFAULT_VERSION

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.salesforce.state import SalesforceState


def build_control_blueprint(state: "SalesforceState") -> flask.Blueprint:
    bp = vendor_blueprint("salesforce_control", __name__, SalesforceError)

    @bp.route("/orgs", methods=["GET", "POST"])
    def orgs() -> Any:
        """GET: every org. POST {org_id?, name?, client_id?, client_secret?, username?, password?,
        security_token?, jwt_public_key?, outbound_url?, daily_api_limit?, seed? ("demo" | null),
        leads? (leads already in the intake queue)}: 201 and the new org, credentials included."""
        if flask.request.method == "POST":
            data = json_body()
            allowed = {"org_id", "name", "client_id", "client_secret", "username", "password",
                       "security_token", "jwt_public_key", "outbound_url", "daily_api_limit",
                       "seed", "leads"}
            unknown = set(data) - allowed
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
            org = state.add_org(**data)
            with state.sandbox.lock:
                return flask.jsonify(org.describe(DEFAULT_VERSION)), 201
        with state.sandbox.lock:
            return flask.jsonify({"orgs": [o.describe(DEFAULT_VERSION) for o in state.all_orgs()]})

    @bp.route("/outbound-url", methods=["GET", "POST"])
    def outbound_url() -> Any:
        """Where the org's outbound message (new lead) is sent: {url}."""
        org = state.current()
        if flask.request.method == "POST":
            org.set_option("outbound_url", json_body().get("url"))
        return flask.jsonify({"org_id": org.org_id, "url": org.option("outbound_url")})

    @bp.post("/expire-sessions")
    def expire_sessions() -> Any:
        return flask.jsonify({"expired": state.sessions.expire_all()})

    @bp.post("/reassign")
    def reassign() -> Any:
        """{lead_id | record_id (a lead or a contact), owner_id, after_calls?}: a person sets the owner."""
        data = json_body()
        lead_id, owner_id = data.get("record_id") or data.get("lead_id"), data.get("owner_id")
        if not lead_id or not owner_id:
            return flask.jsonify({"error": "lead_id (or record_id) and owner_id are required"}), 400
        after = int(data.get("after_calls") or 0)
        if after <= 0:
            return flask.jsonify({"done": True, "lead": state.reassign_now(lead_id, owner_id)})
        state.pending_reassignments.append(
            {"lead_id": lead_id, "owner_id": owner_id, "after_calls": after})
        return flask.jsonify({"done": False, "after_calls": after}), 202

    @bp.route("/limits", methods=["GET", "POST"])
    def limits() -> Any:
        if flask.request.method == "POST":
            data = json_body()
            if "daily_api_limit" in data:
                state.daily_limit = int(data["daily_api_limit"])
            if "used" in data:
                state.api_used = int(data["used"])
                state._api_day = state.sandbox.clock.now().date()
        return flask.jsonify({"daily_api_limit": state.daily_limit, "used": state.api_used})

    @bp.route("/assignment-rule", methods=["GET", "POST"])
    def assignment_rule() -> Any:
        if flask.request.method == "POST":
            state.store.assignment_owner_id = json_body().get("owner_id")
        return flask.jsonify({"owner_id": state.store.assignment_owner_id})

    @bp.get("/outbound")
    def outbound_messages() -> Any:
        return flask.jsonify({"deliveries": state.sandbox.deliveries.list("salesforce")})

    return bp
