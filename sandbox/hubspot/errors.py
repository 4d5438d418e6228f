"""HubSpot's error bodies, one function per kind, shaped as the CRM v3 APIs answer them.

Every HubSpot error carries `status: "error"`, a human `message`, a `correlationId` (a UUID the
support team can trace) and usually a `category`. Wordings below were checked against HubSpot's
docs and real responses quoted in public SDKs and issue threads (see CRM-CONTRACTS.md).
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import flask

AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 authentication "
                "and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview")


class HubSpotError(Exception):
    """Raised inside a handler; turned into HubSpot's JSON body by the blueprint."""

    def __init__(self, status: int, message: str, category: str | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.category, self.extra = status, message, category, extra

    def body(self) -> dict:
        body: dict[str, Any] = {"status": "error", "message": self.message,
                                "correlationId": correlation_id()}
        if self.category:
            body["category"] = self.category
        body.update(self.extra)
        return body


def correlation_id() -> str:
    return str(uuid.uuid4())


def response(status: int, body: dict, headers: dict | None = None) -> flask.Response:
    resp = flask.Response(json.dumps(body), status=status,
                          content_type="application/json;charset=utf-8")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def unauthorized() -> HubSpotError:
    # A missing header and an unknown private-app token both answer this same 401 body.
    return HubSpotError(401, AUTH_MESSAGE, "INVALID_AUTHENTICATION")


def validation(message: str, **extra: Any) -> HubSpotError:
    return HubSpotError(400, message, "VALIDATION_ERROR", **extra)


def invalid_json(column: int, problem: str) -> HubSpotError:
    # HubSpot's search/batch endpoints report body problems as Jackson deserialisation errors.
    return validation(f"Invalid input JSON on line 1, column {column}: {problem}")


def object_not_found() -> HubSpotError:
    # GET /crm/v3/objects/contacts/{id} (or /crm/v3/owners/{id}) on an unknown id.
    return HubSpotError(404, "resource not found", "OBJECT_NOT_FOUND")


def property_values_invalid(results: list[dict]) -> HubSpotError:
    """400 for a write whose property values fail validation (e.g. an unknown owner id)."""
    message = "Property values were not valid: " + json.dumps(results, separators=(",", ":"))
    errors = [{"message": r["message"], "code": r["error"], "context": {"propertyName": [r["name"]]}}
              for r in results]
    return validation(message, errors=errors)


def batch_error(category: str, message: str, context: dict, status: str = "error") -> dict:
    """One entry of `errors` in a 207 batch answer (the SDK's StandardError requires all keys)."""
    return {"status": status, "category": category, "message": message, "context": context,
            "errors": [], "links": {}}


def fault_body(status: int) -> dict:
    if status == 429:
        return rate_limit_body("TEN_SECONDLY_ROLLING")
    messages = {500: "internal error", 502: "Bad Gateway", 503: "Service Unavailable",
                504: "Gateway Timeout"}
    return {"status": "error", "message": messages.get(status, "internal error"),
            "correlationId": correlation_id(), "category": "INTERNAL_ERROR"}


RATE_LIMIT_MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
    # The official Node client recognises the search limit by this message, not a policy name.
    "SECONDLY": "You have reached your secondly limit.",
}


def rate_limit_body(policy: str, group_name: str | None = None) -> dict:
    body = {"status": "error", "message": RATE_LIMIT_MESSAGES[policy], "errorType": "RATE_LIMIT",
            "correlationId": correlation_id(), "policyName": policy}
    if group_name:
        body["groupName"] = group_name
    return body
