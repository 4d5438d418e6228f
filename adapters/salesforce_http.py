"""The Salesforce connection: one ``requests.Session``, login, and the single choke point
(``call``) where authentication, re-login, timeouts, API-usage headers, retries and error
mapping happen. The adapter's methods only build queries and read answers.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from adapters import salesforce_auth as auth
from adapters.base import HealthTracker
from adapters.errors import (AuthError, Conflict, CrmError, CrmUnavailable, InvalidData, NotFound,
                             PermissionDenied, RateLimited, SessionRenewed)
from adapters.retry import RetryPolicy

T = TypeVar("T")


class TimeoutSession(requests.Session):
    """simple-salesforce sets no timeout on its requests; every call through it gets ours."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def make_session(ca_bundle: str | None, timeout: float) -> requests.Session:
    session = TimeoutSession(timeout)
    # trust_env=False: REQUESTS_CA_BUNDLE / proxies from the environment would override verify.
    session.trust_env = False
    if ca_bundle:
        session.verify = ca_bundle
    return session


# errorCode -> error class (the SDK's own exc_map only looks at the status).
ERROR_CODES: dict[str, type[CrmError]] = {
    "INVALID_SESSION_ID": AuthError, "INVALID_AUTH_HEADER": AuthError,
    "REQUEST_LIMIT_EXCEEDED": RateLimited, "INSUFFICIENT_ACCESS": PermissionDenied,
    "INSUFFICIENT_ACCESS_OR_READONLY": PermissionDenied, "API_DISABLED_FOR_ORG": PermissionDenied,
    "NOT_FOUND": NotFound, "ENTITY_IS_DELETED": NotFound, "PRECONDITION_FAILED": Conflict,
    "SERVER_UNAVAILABLE": CrmUnavailable, "UNABLE_TO_LOCK_ROW": CrmUnavailable,
}
STATUSES: dict[int, type[CrmError]] = {400: InvalidData, 401: AuthError, 403: PermissionDenied,
                                       404: NotFound, 409: Conflict, 412: Conflict}


def map_error(exc: SalesforceError, rate_limit_wait: float) -> CrmError:
    content = exc.content
    first = content[0] if isinstance(content, list) and content and isinstance(content[0], dict) \
        else {}
    code = first.get("errorCode")
    message = f"Salesforce {exc.status} {code or ''}: {first.get('message') or content}".strip()
    cls = ERROR_CODES.get(code or "") or STATUSES.get(exc.status) or (
        CrmUnavailable if exc.status >= 500 else CrmError)
    if cls is RateLimited:
        # Salesforce sends no Retry-After with REQUEST_LIMIT_EXCEEDED (a 403, never a 429).
        return RateLimited(message, retry_after=rate_limit_wait, status=exc.status, code=code)
    return cls(message, status=exc.status, code=code)


class SalesforceConnection:
    def __init__(self, oauth: auth.OAuthConfig, *, api_version: str, session: requests.Session,
                 retry: RetryPolicy, rate_limit_wait: float) -> None:
        self.oauth, self.api_version, self.session = oauth, api_version, session
        self.retry, self.rate_limit_wait = retry, rate_limit_wait
        self._sf: Salesforce | None = None
        self._lock = threading.Lock()
        self.logins = 0
        self.api_usage: tuple[int, int] | None = None   # (used, limit) from Sforce-Limit-Info
        self.health = HealthTracker()   # last success / error / headroom, for connection health

    def _headroom(self) -> dict[str, int] | None:
        if self.api_usage is None:
            return None
        used, limit = self.api_usage
        return {"daily_used": used, "daily_max": limit, "daily_remaining": max(0, limit - used)}

    def _login(self, stale: Salesforce | None = None) -> Salesforce:
        with self._lock:
            if self._sf is not None and self._sf is not stale:
                return self._sf   # another thread logged in already
            token = auth.fetch_token(self.session, self.oauth)
            self._sf = Salesforce(instance_url=token.instance_url, session_id=token.access_token,
                                  session=self.session, version=self.api_version)
            self.logins += 1
            return self._sf

    def client(self) -> Salesforce:
        return self._sf if self._sf is not None else self._login()

    def _once(self, fn: Callable[[Salesforce], T], resend: bool = True) -> T:
        try:
            result = self._attempt(fn, resend)
        except SessionRenewed:
            raise   # not a failure: logged in again, the caller resends
        except CrmError as exc:
            self.health.failed(exc.message)   # the SDK reads Sforce-Limit-Info of successes only
            raise
        self.health.ok(self._headroom())
        return result

    def _attempt(self, fn: Callable[[Salesforce], T], resend: bool) -> T:
        sf = self.client()
        try:
            try:
                return fn(sf)
            except SalesforceExpiredSession:
                # INVALID_SESSION_ID: the token expired or was revoked; log in again, once.
                fresh = self._login(stale=sf)
                if not resend:
                    raise SessionRenewed("Salesforce session expired; logged in again",
                                         status=401, code="INVALID_SESSION_ID") from None
                return fn(fresh)
            finally:
                usage = getattr(self._sf, "api_usage", None) or {}
                if "api-usage" in usage:
                    self.api_usage = (usage["api-usage"].used, usage["api-usage"].total)
        except SalesforceError as exc:
            raise map_error(exc, self.rate_limit_wait) from exc
        except requests.RequestException as exc:
            raise CrmUnavailable(f"Salesforce unreachable: {exc}") from exc

    def call(self, fn: Callable[[Salesforce], T]) -> T:
        """The choke point: every request to Salesforce goes through here."""
        return self.retry.call(lambda: self._once(fn))

    def once(self, fn: Callable[[Salesforce], T]) -> T:
        """One attempt, no retry and no resend after a re-login (``SessionRenewed``): for owner
        writes, whose every attempt must follow its own owner check (adapters/assigning.py)."""
        return self._once(fn, resend=False)

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
            page = self.call(lambda sf: sf.query_more(next_url, identifier_is_url=True,
                                                      headers=headers))

    def close(self) -> None:
        self.session.close()
