"""What every door (webhooks/, and the Slack door in connector/notify/) checks before it reads
anything: the body's size on the stream, and header values as the vendors document them (ASCII,
a fixed alphabet, bounded numbers), as bytes.

``read_body`` enforces the limit while reading, so a chunked body (no Content-Length; the server
sets ``wsgi.input_terminated``) larger than the limit is refused with 413, not cut to the limit
and judged on its first part. Only the bytes up to the limit are kept; a bounded remainder is
read and dropped so the client can still read the 413.
"""
from __future__ import annotations

import re
from typing import Mapping

from flask import request
from werkzeug.exceptions import HTTPException

MAX_BODY_BYTES = 1024 * 1024
DRAIN_BYTES = 16 * 1024 * 1024   # how much of an oversized body is read and dropped, at most
CHUNK = 64 * 1024


class DoorError(Exception):
    """A refused request: ``status`` and a one-line JSON ``error`` for the sender."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def read_body(limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw request body, at most ``limit`` bytes; over it (declared or streamed): 413."""
    environ = request.environ
    declared = request.content_length
    if declared is not None and declared > limit:
        raise DoorError(413, f"body larger than {limit} bytes")
    if declared is None:
        if not environ.get("wsgi.input_terminated"):
            return b""   # no length and no server-terminated stream: WSGI says there is no body
        stream = environ["wsgi.input"]
        budget = limit
    else:
        stream = request.stream  # werkzeug's LimitedStream: stops at Content-Length
        budget = declared
    parts, size = [], 0
    try:
        while size <= budget:
            part = stream.read(min(CHUNK, budget + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
    except HTTPException as exc:  # the client went away before Content-Length bytes came
        raise DoorError(exc.code or 400, exc.description or exc.name) from None
    if size > limit:
        _drain(stream)
        raise DoorError(413, f"body larger than {limit} bytes")
    return b"".join(parts)


def _drain(stream) -> None:  # noqa: ANN001 — a WSGI input stream
    dropped = 0
    try:
        while dropped < DRAIN_BYTES and (part := stream.read(CHUNK)):
            dropped += len(part)
    except (OSError, ValueError):
        pass


def header(name: str, pattern: re.Pattern[str], headers: Mapping[str, str] | None = None) -> bytes | None:
    """A header's value as ASCII bytes if it has the documented form; absent or empty -> None;
    anything else (non-ASCII, other characters, too long) -> 401 naming the header."""
    value = (request.headers if headers is None else headers).get(name)
    if value is None or value == "":
        return None
    if not value.isascii() or not pattern.fullmatch(value):
        raise DoorError(401, f"malformed {name} header")
    return value.encode("ascii")


UNIX_SECONDS = re.compile(r"[0-9]{1,12}")      # digits only: no sign, no "nan", no exponent
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
