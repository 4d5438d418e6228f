"""The adapters' error hierarchy: every CRM failure says whether retrying can help.

    CrmError(message, retryable)
     ├── AuthError            credentials refused or session unrecoverable      (no retry)
     ├── PermissionDenied     the integration user may not do this             (no retry)
     ├── NotFound             the record / endpoint does not exist             (no retry)
     ├── Conflict             a precondition failed (record changed meanwhile) (no retry: re-read)
     ├── RateLimited          the CRM asked us to slow down; ``retry_after`` s (retry after wait)
     ├── CrmUnavailable       5xx, timeouts, connection errors                 (retry)
     │    └── SessionRenewed  the session had expired; logged in again          (retry at once)
     ├── InvalidData          the CRM refused the values or the query          (no retry)
     └── WebhookRejected      an incoming webhook failed verification; ``status`` to answer

The retry loop (adapters/retry.py) looks only at ``retryable`` and ``retry_after``; callers that
give up keep the error on their row (STYLE.md: record outcomes instead of crashing).
"""
from __future__ import annotations


class CrmError(Exception):
    retryable_default = False

    def __init__(self, message: str, retryable: bool | None = None, *, status: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = self.retryable_default if retryable is None else retryable
        self.status = status          # HTTP status the CRM answered, when there was one
        self.code = code              # the CRM's own error code (errorCode / category)

    @property
    def outcome(self) -> str:
        """The class as a metric label: ``rate_limited``, ``crm_unavailable``, ``auth_error``..."""
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in type(self).__name__).lstrip("_")


class AuthError(CrmError):
    pass


class PermissionDenied(CrmError):
    pass


class NotFound(CrmError):
    pass


class Conflict(CrmError):
    pass


class RateLimited(CrmError):
    retryable_default = True

    def __init__(self, message: str, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class CrmUnavailable(CrmError):
    retryable_default = True


class SessionRenewed(CrmUnavailable):
    """The session expired and a new one was obtained, but the request was not resent: a write
    goes back to its owner check first (adapters/assigning.py). Retried without waiting."""


class InvalidData(CrmError):
    pass


class WebhookRejected(CrmError):
    """``status`` is what the webhook door should answer (401 bad signature, 400 malformed...)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message, False, status=status)


__all__ = ["CrmError", "AuthError", "PermissionDenied", "NotFound", "Conflict", "RateLimited",
           "CrmUnavailable", "SessionRenewed", "InvalidData", "WebhookRejected"]
