"""The Salesforce vendor: the REST API, OAuth and SOAP logins and identity URLs
(``/services/``, ``/id/``) and its control routes, built over ``SalesforceState``. Shapes follow
Salesforce's REST API Developer Guide and what simple-salesforce sends."""
from __future__ import annotations

import flask

from sandbox.salesforce.control import build_control_blueprint
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.routes import build_blueprint
from sandbox.salesforce.state import SalesforceState
from sandbox.vendor import Vendor, state_part


class SalesforceVendor(Vendor):
    name = "salesforce"
    prefixes = ("/services/", "/id/")
    state_class = SalesforceState
    state: SalesforceState

    def blueprint(self) -> flask.Blueprint:
        return build_blueprint(self.state)

    def control_blueprint(self) -> flask.Blueprint:
        return build_control_blueprint(self.state)

    def fault_response(self, status: int, *, retry_after: float | None = None) -> flask.Response:
        if status == 429:  # Salesforce has no 429: a request limit is a 403
            error = SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        elif status == 503:
            error = SalesforceError(503, "SERVER_UNAVAILABLE",
                                    "Server temporarily unavailable, please try again later.")
        else:
            error = SalesforceError(status, "UNKNOWN_EXCEPTION",
                                    "An unexpected error occurred. Please include this ErrorId "
                                    "if you contact support: 1234567890-12345 (-1234567890)")
        return error.response()

    def http_error(self, status: int) -> flask.Response | None:
        if status == 405:
            method = flask.request.method
            return SalesforceError(405, "METHOD_NOT_ALLOWED",
                                   f"HTTP Method '{method}' not allowed. Allowed are "
                                   "GET,HEAD,PATCH,POST,DELETE").response()
        return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist").response()

    # The current org's parts (the default org outside a request) that tests and the demo read.
    store = state_part("store")
    daily_limit = state_part("daily_limit")
    api_used = state_part("api_used")


__all__ = ["SalesforceVendor"]
