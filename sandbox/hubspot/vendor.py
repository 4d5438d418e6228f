"""The HubSpot vendor: CRM v3 objects, owners, search, properties, associations and limits
(``/crm/``) and its control routes, built over ``HubSpotState``: authentication by private-app
token (which also names the portal), the rate limits and their headers, and HubSpot-shaped
bodies for faults and unrouted paths."""
from __future__ import annotations

from typing import Any

import flask

import sandbox.hubspot.api as api
import sandbox.hubspot.associations as associations
import sandbox.hubspot.control as control
import sandbox.hubspot.errors as errors
import sandbox.hubspot.owners_api as owners_api
import sandbox.hubspot.properties_api as properties_api
from sandbox.hubspot.state import HubSpotState
from sandbox.vendor import Vendor, state_part

RATE_GROUPS = {"TEN_SECONDLY_ROLLING": "ten-secondly", "DAILY": "daily", "SECONDLY": "search-secondly"}


class HubSpotVendor(Vendor):
    name = "hubspot"
    prefixes = ("/crm/",)
    state_class = HubSpotState
    state: HubSpotState

    def blueprint(self) -> flask.Blueprint:
        bp = flask.Blueprint("hubspot", __name__)
        bp.before_request(self._authenticate_and_count)
        bp.after_request(self._rate_headers)
        bp.register_error_handler(errors.HubSpotError, lambda exc: errors.response(exc.status, exc.body()))
        for routes in (api, associations, owners_api, properties_api):
            routes.register(bp, self.state)
        return bp

    def control_blueprint(self) -> flask.Blueprint:
        return control.blueprint(self.state)

    def _authenticate_and_count(self) -> Any:
        header = flask.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        portal = self.state.portal_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if portal is None:
            exc = errors.unauthorized()
            return errors.response(exc.status, exc.body())
        flask.g.hubspot_portal = portal
        flask.g.hubspot_search = flask.request.path.endswith("/search")
        policy = portal.limiter.hit(search=flask.g.hubspot_search)
        if policy is not None:
            body = errors.rate_limit_body(
                policy, f"publicapi:private_app-api-calls-{RATE_GROUPS[policy]}:{portal.app_id}:{portal.portal_id}")
            return errors.response(429, body)
        return None

    def _rate_headers(self, response: flask.Response) -> flask.Response:
        # Search answers carry no X-HubSpot-RateLimit-* headers (it has its own limit).
        if "hubspot_search" in flask.g and not flask.g.hubspot_search:
            for key, value in self.state.limiter.headers().items():
                response.headers[key] = value
        return response

    def fault_response(self, status: int, *, retry_after: float | None = None) -> flask.Response:
        headers = self.state.limiter.headers() if status == 429 else {}
        if status == 429:
            headers["X-HubSpot-RateLimit-Remaining"] = "0"
        if retry_after is not None:
            headers["Retry-After"] = str(int(retry_after) if retry_after == int(retry_after) else retry_after)
        return errors.response(status, errors.fault_body(status), headers)

    def http_error(self, status: int) -> flask.Response | None:
        message = "resource not found" if status == 404 else "HTTP method not allowed"
        return errors.response(status, {"status": "error", "message": message,
                                        "correlationId": errors.correlation_id()})

    # The current portal's parts (the default portal outside a request) that tests and the demo use.
    crm = state_part("crm")
    owners = state_part("owners")
    limiter = state_part("limiter")
    webhooks = state_part("webhooks")


__all__ = ["HubSpotVendor"]
