"""Salesforce's error shape: a JSON array of {"message", "errorCode", "fields"?}."""
from __future__ import annotations

import flask


class SalesforceError(Exception):
    def __init__(self, status: int, error_code: str, message: str,
                 fields: list[str] | None = None) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict]:
        item: dict = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]

    def save_error(self) -> dict:
        """Per-record form used by sObject Collections (statusCode, not errorCode)."""
        return {"statusCode": self.error_code, "message": self.message,
                "fields": list(self.fields or [])}

    def response(self) -> flask.Response:
        resp = flask.jsonify(self.body())
        resp.status_code = self.status
        return resp


def session_invalid() -> SalesforceError:
    return SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def limit_exceeded() -> SalesforceError:
    return SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")


def external_id_not_found(value: str) -> SalesforceError:
    # What Salesforce says when the path segment is not an id of this object.
    return SalesforceError(404, "NOT_FOUND",
                           f"Provided external ID field does not exist or is not accessible: {value}")
