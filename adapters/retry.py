"""The adapters' retry policy (tenacity) and a small client-side rate limiter.

We own retries instead of the SDKs': simple-salesforce never retries, and the HubSpot SDK's
urllib3 ``Retry`` skips POST/PATCH and raises a bare ``MaxRetryError`` when exhausted. Waits
honour the CRM's ``Retry-After``; a wait longer than ``max_wait`` is not slept here but handed
to the caller (``RateLimited.retry_after``) so a worker never blocks for minutes.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Mapping, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from adapters.errors import CrmError, RateLimited, SessionRenewed

T = TypeVar("T")


@dataclass
class RetryPolicy:
    max_attempts: int = 4
    base_wait: float = 0.5          # exponential backoff for 5xx / timeouts: 0.5, 1, 2 ...
    max_wait: float = 30.0          # never sleep longer than this for one retry
    sleep: Callable[[float], None] = time.sleep

    def _should_retry(self, exc: BaseException) -> bool:
        if not isinstance(exc, CrmError) or not exc.retryable:
            return False
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after <= self.max_wait
        return True

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, SessionRenewed):
            return 0.0
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        return min(self.base_wait * (2 ** (state.attempt_number - 1)), self.max_wait)

    def call(self, fn: Callable[[], T]) -> T:
        retrying = Retrying(stop=stop_after_attempt(self.max_attempts), wait=self._wait,
                            retry=retry_if_exception(self._should_retry), sleep=self.sleep,
                            reraise=True)
        return retrying(fn)


class WindowLimiter:
    """At most ``max_calls`` per ``interval`` seconds (a sliding window of our own calls),
    corrected by what the CRM says is left (``observe``): other processes share the same
    allowance, so the server's ``Remaining`` wins when it is lower than our count suggests."""

    def __init__(self, max_calls: int, interval: float, *, margin: int = 0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.max_calls, self.interval, self.margin = max_calls, interval, margin
        self._clock, self._sleep = clock, sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return max(1, self.max_calls - self.margin)

    def acquire(self, calls: int = 1) -> float:
        """Block until ``calls`` calls may go out back to back; returns the seconds waited.
        (An owner write takes two: its check and the write, so no wait falls between them.)"""
        calls = max(1, min(calls, self.capacity))
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._calls and self._calls[0] <= now - self.interval:
                    self._calls.popleft()
                if len(self._calls) + calls <= self.capacity:
                    self._calls.extend([now] * calls)
                    return waited
                delay = self._calls[len(self._calls) + calls - self.capacity - 1] + self.interval - now
            self._sleep(delay)
            waited += delay

    def observe(self, max_calls: int | None, remaining: int | None,
                interval: float | None = None) -> None:
        with self._lock:
            if max_calls:
                self.max_calls = max_calls
            if interval:
                self.interval = interval
            if remaining is None or self.max_calls is None:
                return
            now = self._clock()
            used_by_server = self.max_calls - remaining
            while len(self._calls) < min(used_by_server, self.max_calls):
                self._calls.append(now)   # calls made by others count against us too


def header_int(headers: Mapping[str, str] | None, name: str) -> int | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:   # urllib3/requests headers are case-insensitive, plain dicts are not
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def header_float(headers: Mapping[str, str] | None, name: str) -> float | None:
    if not headers:
        return None
    lowered = name.lower()
    value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None   # an HTTP-date Retry-After: fall back to the policy's default
