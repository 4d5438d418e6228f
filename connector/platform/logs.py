"""One line per event: text for people, JSON (``LEADROUTER_LOG_FORMAT=json``) for machines.

Every record carries the request id of the HTTP request it belongs to, and a filter masks secret
values (the configured ones, plus anything shaped like a token) before any handler sees them.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, g, request

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

MASK = "**********"
# Shapes of credentials that may reach a log line from a library's error text even when we never
# configured them: bearer headers, Slack tokens, Salesforce session ids, password= query pairs.
TOKEN_PATTERNS = [
    (re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,}"), MASK),  # Salesforce session id
    (re.compile(r"(?i)(bearer\s+)[^\s'\",]{8,}"), r"\g<1>" + MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{6,}"), MASK),
    (re.compile(r"(?i)((?:password|passwd|client_secret|secret|access_token|token)=)[^&\s\"']+"), r"\g<1>" + MASK),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)"), r"\g<1>" + MASK + r"\g<2>"),
]


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    for pattern, replacement in TOKEN_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Renders the message once, masks secrets in it, and stamps the request id."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = redact(message, self.secrets), None
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    EXTRA_SKIP = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "request_id"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            entry["request_id"] = record.request_id
        for key, value in vars(record).items():  # structured extras: log.info("…", extra={"lead": id})
            if key not in self.EXTRA_SKIP and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        prefix = f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} {record.levelname:<7} {record.name}"
        return f"{prefix}{' [' + rid + ']' if rid else ''}: {record.getMessage()}"


def configure(level: str = "INFO", fmt: str = "text", secrets: list[str] | None = None,
              stream=None) -> logging.Handler:
    """Install one handler on the root logger (replacing an earlier one of ours)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_leadrouter", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._leadrouter = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter(secrets or []))
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("werkzeug", "apscheduler", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler


def init_app(app: Flask) -> None:
    """Request ids: taken from ``X-Request-Id`` when sane, else new; echoed on the response."""

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        rid = incoming if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", incoming) else uuid.uuid4().hex[:16]
        g.request_id = rid
        g._request_id_token = request_id_var.set(rid)

    @app.after_request
    def _echo(response: Response) -> Response:
        if getattr(g, "request_id", None):
            response.headers["X-Request-Id"] = g.request_id
        return response

    @app.teardown_request
    def _reset(_exc: BaseException | None) -> None:
        token = g.pop("_request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
