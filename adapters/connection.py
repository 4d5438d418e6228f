"""The connection skeleton every CRM adapter uses: one request path (``call`` / ``once``) where
timeouts, retries, response-header observation (API headroom, connection health) and error
mapping happen, and a table per CRM that says which of its errors mean what.

A CRM supplies only what is its own (healthchecks' ``HttpTransport.raise_for_response``, one
branch per vendor error; simple-salesforce's ``exc_map``): how to send one request and read its
headers (``send``), the SDK's exception classes (``sdk_errors``), how to turn one of them into an
``adapters.errors`` class (``map_error``, mostly a lookup in its ``ErrorTable``), and what its
headers say about the API allowance (``headroom``).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

from adapters.base import HealthTracker
from adapters.errors import CrmError, CrmUnavailable, SessionRenewed
from adapters.retry import RetryPolicy

Headers = Mapping[str, str]


@dataclass(frozen=True)
class ErrorTable:
    """A CRM's error code -> error class, then its HTTP status -> error class; any other 5xx is
    ``CrmUnavailable`` (retried), anything else a plain ``CrmError`` (not retried)."""

    codes: Mapping[str, type[CrmError]] = field(default_factory=dict)
    statuses: Mapping[int, type[CrmError]] = field(default_factory=dict)

    def error_class(self, status: int, code: str | None) -> type[CrmError]:
        return self.codes.get(code or "") or self.statuses.get(status) or (
            CrmUnavailable if status >= 500 else CrmError)


class Connection(abc.ABC):
    """One CRM connection's request path. ``call`` retries with the connection's policy;
    ``once`` is one attempt (no retry, no resend after a re-login) for owner writes, whose every
    attempt must follow its own owner check (adapters/assigning.py)."""

    vendor: ClassVar[str] = ""                           # "Salesforce", "HubSpot": in messages
    sdk_errors: ClassVar[tuple[type[Exception], ...]] = ()        # the CRM answered with an error
    transport_errors: ClassVar[tuple[type[Exception], ...]] = ()  # no answer: timeouts, resets

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry
        self.health = HealthTracker()   # last success / error / headroom, for connection health

    # -- what each CRM supplies ------------------------------------------------------------------
    @abc.abstractmethod
    def send(self, fn: Callable[..., Any], args: tuple, kwargs: dict, *,
             resend: bool) -> tuple[Any, Headers | None]:
        """One request: its data and the response headers (None when there were none)."""

    @abc.abstractmethod
    def map_error(self, exc: Exception) -> CrmError:
        """The ``adapters.errors`` class for one of ``sdk_errors`` (its ``ErrorTable``)."""

    def error_headers(self, exc: Exception) -> Headers | None:
        return None

    def headroom(self, headers: Headers | None) -> Mapping[str, int | None] | None:
        """API headroom for connection health, read from one response's headers."""
        return None

    def observe(self, headers: Headers | None, error: CrmError | None) -> None:
        """Anything else the CRM's headers steer (a client-side rate limiter)."""

    def before(self, *, search: bool) -> None:
        """Before a request that did not reserve its rate-limit slots itself."""

    # -- the one request path --------------------------------------------------------------------
    def attempt(self, fn: Callable[..., Any], args: tuple = (), kwargs: dict | None = None, *,
                resend: bool = True, limit: bool = True, search: bool = False) -> Any:
        if limit:
            self.before(search=search)
        try:
            data, headers = self.send(fn, args, kwargs or {}, resend=resend)
        except SessionRenewed:
            raise   # not a failure: logged in again, the caller checks and resends
        except self.sdk_errors as exc:
            headers = self.error_headers(exc)
            error = self.map_error(exc)
            self._failed(error, headers)
            raise error from exc
        except self.transport_errors as exc:
            error = CrmUnavailable(f"{self.vendor} unreachable: {exc}")
            self._failed(error, None)
            raise error from exc
        except CrmError as exc:   # raised by ``send`` itself (a login refused, ...)
            self._failed(exc, None)
            raise
        self.observe(headers, None)
        self.health.ok(self.headroom(headers))
        return data

    def _failed(self, error: CrmError, headers: Headers | None) -> None:
        self.observe(headers, error)
        self.health.failed(error.message, self.headroom(headers), outcome=error.outcome)

    def call(self, fn: Callable[..., Any], *args: Any, search: bool = False, **kwargs: Any) -> Any:
        """The choke point: every request to the CRM goes through here (retried)."""
        return self.retry.call(lambda: self.attempt(fn, args, kwargs, search=search))

    def once(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One attempt, no retry, no rate-limiter wait (the caller reserved its slots) and no
        resend after a re-login (``SessionRenewed``)."""
        return self.attempt(fn, args, kwargs, resend=False, limit=False)

    def close(self) -> None:
        """Release HTTP pools."""


__all__ = ["Connection", "ErrorTable", "Headers"]
