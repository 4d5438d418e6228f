"""The Salesforce connection: one ``requests.Session``, login, and the request path of
``adapters.connection.Connection`` with Salesforce's own parts: its error table (``errorCode``
first, then the status), re-login on an expired session, and ``Sforce-Limit-Info`` read from every
response. The adapter's methods only build queries and read answers.

The REST calls go to the ``instance_url`` the login answered with (the org's own host, its My
Domain), never to the login URL.
"""
from __future__ import annotations

import re
import threading
from typing import Any, Callable, Iterator, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

import adapters.salesforce_auth as auth
from adapters.connection import Connection, ErrorTable, Headers
from adapters.errors import (AuthError, Conflict, CrmError, CrmUnavailable, InvalidData, NotFound,
                             PermissionDenied, RateLimited, SessionRenewed)
from adapters.retry import RetryPolicy

T = TypeVar("T")
_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")

# Salesforce's errorCode, then the status (REST API Developer Guide, "Status Codes and Error
# Responses"); the SDK's own exc_map only looks at the status.
ERRORS = ErrorTable(
    codes={"INVALID_SESSION_ID": AuthError, "INVALID_AUTH_HEADER": AuthError,
           "REQUEST_LIMIT_EXCEEDED": RateLimited, "INSUFFICIENT_ACCESS": PermissionDenied,
           "INSUFFICIENT_ACCESS_OR_READONLY": PermissionDenied, "API_DISABLED_FOR_ORG": PermissionDenied,
           "NOT_FOUND": NotFound, "ENTITY_IS_DELETED": NotFound, "PRECONDITION_FAILED": Conflict,
           "SERVER_UNAVAILABLE": CrmUnavailable, "UNABLE_TO_LOCK_ROW": CrmUnavailable},
    statuses={400: InvalidData, 401: AuthError, 403: PermissionDenied, 404: NotFound, 409: Conflict,
              412: Conflict})


class TimeoutSession(requests.Session):
    """simple-salesforce sets no timeout on its requests; every call through it gets ours. The
    last response's headers are kept per thread (the SDK does not hand them out)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.seen = threading.local()

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        response = super().request(method, url, **kwargs)
        self.seen.headers = response.headers
        return response

    def last_headers(self) -> Headers | None:
        return getattr(self.seen, "headers", None)


def make_session(ca_bundle: str | None, timeout: float) -> TimeoutSession:
    session = TimeoutSession(timeout)
    # trust_env=False: REQUESTS_CA_BUNDLE / proxies from the environment would override verify.
    session.trust_env = False
    if ca_bundle:
        session.verify = ca_bundle
    return session


class SalesforceConnection(Connection):
    vendor = "Salesforce"
    sdk_errors = (SalesforceError,)
    transport_errors = (requests.RequestException,)

    def __init__(self, oauth: auth.OAuthConfig, *, api_version: str, session: TimeoutSession,
                 retry: RetryPolicy, rate_limit_wait: float) -> None:
        super().__init__(retry)
        self.oauth, self.api_version, self.session = oauth, api_version, session
        self.rate_limit_wait = rate_limit_wait
        self._sf: Salesforce | None = None
        self.token: auth.Token | None = None   # the last login's answer (instance_url, user)
        self._lock = threading.Lock()
        self.logins = 0
        self.api_usage: tuple[int, int] | None = None   # (used, limit) from Sforce-Limit-Info

    # -- Salesforce's parts of the request path ---------------------------------------------------
    def map_error(self, exc: Exception) -> CrmError:
        assert isinstance(exc, SalesforceError)
        content = exc.content
        first = content[0] if isinstance(content, list) and content and isinstance(content[0], dict) else {}
        code = first.get("errorCode")
        message = f"Salesforce {exc.status} {code or ''}: {first.get('message') or content}".strip()
        cls = ERRORS.error_class(exc.status, code)
        if cls is RateLimited:
            # Salesforce sends no Retry-After with REQUEST_LIMIT_EXCEEDED (a 403, never a 429).
            return RateLimited(message, retry_after=self.rate_limit_wait, status=exc.status, code=code)
        return cls(message, status=exc.status, code=code)

    def error_headers(self, exc: Exception) -> Headers | None:
        return self.session.last_headers()

    def headroom(self, headers: Headers | None) -> dict[str, int] | None:
        match = _API_USAGE.search((headers or {}).get("Sforce-Limit-Info", ""))
        if match is None:
            return None
        used, limit = int(match.group(1)), int(match.group(2))
        return {"daily_used": used, "daily_max": limit, "daily_remaining": max(0, limit - used)}

    def observe(self, headers: Headers | None, error: CrmError | None) -> None:
        room = self.headroom(headers)
        if room is not None:
            self.api_usage = (room["daily_used"], room["daily_max"])

    def send(self, fn: Callable[..., Any], args: tuple, kwargs: dict, *,
             resend: bool) -> tuple[Any, Headers | None]:
        sf = self.client()
        try:
            data = fn(sf, *args, **kwargs)
        except SalesforceExpiredSession:
            # INVALID_SESSION_ID: the token expired or was revoked; log in again, once.
            fresh = self._login(stale=sf)
            if not resend:
                raise SessionRenewed("Salesforce session expired; logged in again",
                                     status=401, code="INVALID_SESSION_ID") from None
            data = fn(fresh, *args, **kwargs)
        return data, self.session.last_headers()

    # -- login --------------------------------------------------------------------------------------
    def _login(self, stale: Salesforce | None = None) -> Salesforce:
        with self._lock:
            if self._sf is not None and self._sf is not stale:
                return self._sf   # another thread logged in already
            token = auth.fetch_token(self.session, self.oauth)
            self._sf = Salesforce(instance_url=token.instance_url, session_id=token.access_token,
                                  session=self.session, version=self.api_version)
            self.token = token
            self.logins += 1
            return self._sf

    def client(self) -> Salesforce:
        return self._sf if self._sf is not None else self._login()

    @property
    def instance_url(self) -> str | None:
        """The org's own host, as the last login named it (None before the first login)."""
        return self.token.instance_url.rstrip("/") if self.token else None

    def user_id(self) -> str:
        """The integration user's id (005…): whom the connection logs in as."""
        self.retry.call(self.client)   # logs in if needed
        if self.token is None or not self.token.user_id:
            raise InvalidData("Salesforce's login answer names no user (no identity URL)")
        return self.token.user_id

    # -- queries --------------------------------------------------------------------------------------
    def query(self, soql: str, batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Rows of a SOQL query, page by page. This is ``query_all_iter``'s loop (query, then
        ``query_more`` on ``nextRecordsUrl`` while ``done`` is false) with each page going
        through ``call``, so a failure on page 7 retries page 7, not the whole query."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else {}
        page = self.call(lambda sf: sf.query(soql, headers=headers))
        while True:
            yield from page["records"]
            if page.get("done", True):
                return
            next_url = page["nextRecordsUrl"]
            page = self.call(lambda sf: sf.query_more(next_url, identifier_is_url=True, headers=headers))

    def close(self) -> None:
        self.session.close()


__all__ = ["ERRORS", "SalesforceConnection", "TimeoutSession", "make_session"]
