"""The HubSpot connection: the SDK client and the single choke point (``call``) where the
client-side rate limiter, timeouts, rate-limit headers, retries and error mapping live.

The SDK's own urllib3 retry is switched off (``Retry(0)``): it would not retry POST/PATCH (all of
search and batch) and raises a raw ``MaxRetryError`` when exhausted. We retry with our policy.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Mapping

import urllib3
from hubspot import HubSpot
from hubspot.crm.associations.v4 import ApiException as AssociationsApiException
from hubspot.crm.objects import ApiException as ObjectsApiException
from hubspot.crm.owners import ApiException as OwnersApiException
from hubspot.crm.properties import ApiException as PropertiesApiException

from adapters.base import HealthTracker
from adapters.errors import (AuthError, Conflict, CrmError, CrmUnavailable, InvalidData, NotFound,
                             PermissionDenied, RateLimited)
from adapters.retry import RetryPolicy, WindowLimiter, header_float, header_int

# Each SDK package has its own ApiException class; these are the packages we call.
API_EXCEPTIONS = (ObjectsApiException, OwnersApiException, PropertiesApiException, AssociationsApiException)
STATUSES: dict[int, type[CrmError]] = {400: InvalidData, 401: AuthError, 403: PermissionDenied,
                                       404: NotFound, 409: Conflict}
# API headroom (connection health) -> the response header HubSpot reports it in.
HEADROOM_HEADERS = {"window_remaining": "X-HubSpot-RateLimit-Remaining", "window_max": "X-HubSpot-RateLimit-Max",
                    "daily_remaining": "X-HubSpot-RateLimit-Daily-Remaining", "daily_max": "X-HubSpot-RateLimit-Daily"}
# Waits when a 429 carries no Retry-After (HubSpot usually sends none).
POLICY_WAITS = {"SECONDLY": 1.0, "TEN_SECONDLY_ROLLING": 10.0, "DAILY": 3600.0}


def error_body(exc: Any) -> dict:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def map_error(exc: Any) -> CrmError:
    status = int(exc.status or 0)
    body = error_body(exc)
    message = f"HubSpot {status}: {body.get('message') or exc.reason}"
    code = body.get("category") or body.get("errorType")
    if status == 0:   # TLS or request-building failure inside the SDK: not fixed by retrying
        return CrmUnavailable(f"HubSpot request failed: {exc.reason}", False)
    if status == 429:
        policy = body.get("policyName") or ("SECONDLY" if "secondly limit" in message else None)
        retry_after = header_float(exc.headers, "Retry-After")
        if retry_after is None:
            retry_after = POLICY_WAITS.get(policy or "", 1.0)
        return RateLimited(message, retry_after, status=status, code=policy or code)
    cls = STATUSES.get(status) or (CrmUnavailable if status >= 500 else CrmError)
    return cls(message, status=status, code=code)


class HubSpotConnection:
    def __init__(self, *, token: str, base_url: str, ca_bundle: str | None, timeout: float,
                 retry: RetryPolicy, ten_second_max: int, search_per_second: int,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        options: dict[str, Any] = {"access_token": token, "host": base_url.rstrip("/"),
                                   "retry": urllib3.util.Retry(0, redirect=False)}
        if ca_bundle:
            options["ssl_ca_cert"] = str(ca_bundle)
        self.client = HubSpot(**options)
        self.timeout, self.retry = timeout, retry
        # Keep a little headroom below the published limits: other integrations share them.
        self.window = WindowLimiter(ten_second_max, 10.0, margin=max(1, ten_second_max // 20),
                                    clock=monotonic, sleep=sleep)
        self.search = WindowLimiter(search_per_second, 1.0, clock=monotonic, sleep=sleep)
        self.last_headers: Mapping[str, str] = {}
        self.health = HealthTracker()   # last success / error / headroom, for connection health

    @staticmethod
    def headroom(headers: Mapping[str, str] | None) -> dict[str, int | None]:
        return {key: header_int(headers, name) for key, name in HEADROOM_HEADERS.items()}

    def _observe(self, headers: Mapping[str, str] | None) -> None:
        if not headers:
            return
        interval = header_int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        self.window.observe(header_int(headers, "X-HubSpot-RateLimit-Max"),
                            header_int(headers, "X-HubSpot-RateLimit-Remaining"),
                            interval / 1000 if interval else None)
        self.last_headers = headers

    def _once(self, fn: Callable[..., Any], args: tuple, kwargs: dict, search: bool,
              limit: bool = True) -> Any:
        if limit:
            (self.search if search else self.window).acquire()
        try:
            data, _status, headers = fn(*args, _request_timeout=self.timeout, **kwargs)
        except API_EXCEPTIONS as exc:
            if exc.status != 429:   # a 429's own wait (Retry-After / policy) is the one to honour
                self._observe(exc.headers)
            error = map_error(exc)
            self.health.failed(error.message, self.headroom(exc.headers))
            raise error from exc
        except urllib3.exceptions.HTTPError as exc:   # MaxRetryError, timeouts, resets
            error = CrmUnavailable(f"HubSpot unreachable: {exc}")
            self.health.failed(error.message)
            raise error from exc
        self._observe(headers)
        self.health.ok(self.headroom(headers))
        return data

    def call(self, fn: Callable[..., Any], *args: Any, search: bool = False, **kwargs: Any) -> Any:
        """The choke point. ``fn`` is an SDK ``*_with_http_info`` method (data, status, headers)."""
        return self.retry.call(lambda: self._once(fn, args, kwargs, search))

    def once(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One attempt, no retry, no rate-limiter wait: the caller reserved its slots first
        (``window.acquire(2)`` for an owner check and its write, back to back)."""
        return self._once(fn, args, kwargs, False, limit=False)
