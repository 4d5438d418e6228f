"""Waiting for what another thread or process does, and a free port for a process to listen on.
Standard library only (``tests/support/postgres.py`` runs before the virtualenv exists)."""

from __future__ import annotations

import socket
import time
from typing import Any, Callable


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """``predicate()``'s first true value, asked every ``every`` seconds; AssertionError naming
    ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    """A port of 127.0.0.1 free a moment ago (another process may still take it first)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
