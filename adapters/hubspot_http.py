"""The HubSpot connection: the SDK client and the request path of
``adapters.connection.Connection`` with HubSpot's own parts: its error table, the 429 waits of
each rate-limit policy, the client-side rate limiter the ``X-HubSpot-RateLimit-*`` headers steer,
and the API headroom those headers report.

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

from adapters.connection import Connection, ErrorTable, Headers
from adapters.errors import (AuthError, Conflict, CrmError, CrmUnavailable, InvalidData, NotFound,
                             PermissionDenied, RateLimited)
from adapters.retry import RetryPolicy, WindowLimiter, header_float, header_int

# HubSpot's statuses (API usage guidelines, "Error handling"); a 429 is handled on its own.
ERRORS = ErrorTable(statuses={400: InvalidData, 401: AuthError, 403: PermissionDenied, 404: NotFound,
                              409: Conflict})
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


class HubSpotConnection(Connection):
    vendor = "HubSpot"
    # Each SDK package has its own ApiException class; these are the packages we call.
    sdk_errors = (ObjectsApiException, OwnersApiException, PropertiesApiException, AssociationsApiException)
    transport_errors = (urllib3.exceptions.HTTPError,)   # MaxRetryError, timeouts, resets

    def __init__(self, *, token: str, base_url: str, ca_bundle: str | None, timeout: float,
                 retry: RetryPolicy, ten_second_max: int, search_per_second: int,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(retry)
        options: dict[str, Any] = {"access_token": token, "host": base_url.rstrip("/"),
                                   "retry": urllib3.util.Retry(0, redirect=False)}
        if ca_bundle:
            options["ssl_ca_cert"] = str(ca_bundle)
        self.client = HubSpot(**options)
        self.timeout = timeout
        # Keep a little headroom below the published limits: other integrations share them.
        self.window = WindowLimiter(ten_second_max, 10.0, margin=max(1, ten_second_max // 20),
                                    clock=monotonic, sleep=sleep)
        self.search = WindowLimiter(search_per_second, 1.0, clock=monotonic, sleep=sleep)
        self.last_headers: Mapping[str, str] = {}

    def map_error(self, exc: Any) -> CrmError:
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
        return ERRORS.error_class(status, None)(message, status=status, code=code)

    def error_headers(self, exc: Exception) -> Headers | None:
        return getattr(exc, "headers", None)

    def headroom(self, headers: Headers | None) -> dict[str, int | None] | None:
        return {key: header_int(headers, name) for key, name in HEADROOM_HEADERS.items()} if headers else None

    def observe(self, headers: Headers | None, error: CrmError | None) -> None:
        if not headers or (error is not None and error.status == 429):
            return   # a 429's own wait (Retry-After / policy) is the one to honour
        interval = header_int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        self.window.observe(header_int(headers, "X-HubSpot-RateLimit-Max"),
                            header_int(headers, "X-HubSpot-RateLimit-Remaining"),
                            interval / 1000 if interval else None)
        self.last_headers = headers

    def before(self, *, search: bool) -> None:
        (self.search if search else self.window).acquire()

    def send(self, fn: Callable[..., Any], args: tuple, kwargs: dict, *,
             resend: bool) -> tuple[Any, Headers | None]:
        """``fn`` is an SDK ``*_with_http_info`` method: (data, status, headers)."""
        data, _status, headers = fn(*args, _request_timeout=self.timeout, **kwargs)
        return data, headers


__all__ = ["ERRORS", "HubSpotConnection"]
