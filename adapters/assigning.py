"""What both adapters do around an owner write: check the current owner immediately before
every write attempt (retries included), and turn a request that failed as a whole into one
result per lead.

A write attempt is *one* owner read and *one* write, back to back, with no wait and no resend in
between; when the write fails and may be retried, the retry policy waits and the next attempt
starts again from the check (``checked_write``). So a retry never outlives the check that
allowed it, and a person who takes a lead while we back off always wins.
"""
from __future__ import annotations

import time
from collections import deque
from typing import Callable, Mapping, Sequence

from adapters.base import ANY_OWNER, AssignmentRequest, AssignOutcome, AssignResult
from adapters.errors import AuthError, CrmError, PermissionDenied, RateLimited
from adapters.retry import RetryPolicy

Todo = list[tuple[int, AssignmentRequest]]

MISSING = object()


def recheck(todo: Sequence[tuple[int, AssignmentRequest]],
            current: Mapping[str, str | None | object],
            results: dict[int, AssignResult]) -> list[tuple[int, AssignmentRequest]]:
    """``current`` maps lead id -> owner id now (absent = lead gone). Fills ``results`` for the
    leads not to write and returns those still to write."""
    kept = []
    for index, req in todo:
        owner = current.get(req.lead_id, MISSING)
        owner = owner or None if owner is not MISSING else owner
        if owner is MISSING:
            results[index] = AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, "lead not found")
        elif owner == req.owner_id:
            # Already ours: an earlier attempt landed but its answer was lost. Nothing to write.
            results[index] = AssignResult(req.lead_id, AssignOutcome.WRITTEN)
        elif req.expected_owner_id != ANY_OWNER and owner != (req.expected_owner_id or None):
            results[index] = AssignResult(req.lead_id, AssignOutcome.OWNER_CHANGED,
                                          "the lead changed owner since it was read", None,
                                          owner if isinstance(owner, str) else None)
        else:
            kept.append((index, req))
    return kept


def failed(reqs: Sequence[AssignmentRequest], exc: CrmError) -> list[AssignResult]:
    """A whole request failed after retries: every lead in it gets the same outcome. Broken
    credentials or permissions are not a per-lead matter and propagate."""
    if isinstance(exc, (AuthError, PermissionDenied)):
        raise exc
    outcome = AssignOutcome.TRANSIENT if exc.retryable else AssignOutcome.REJECTED
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    return [AssignResult(r.lead_id, outcome, exc.message, retry_after) for r in reqs]


class WriteWindows:
    """Seconds from the end of each owner check to the end of the write it allowed (the answer
    received, so the write has landed): the remaining race window, kept for measurement."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self.samples: deque[float] = deque(maxlen=maxlen)

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)


def checked_write(policy: RetryPolicy, todo: Todo, results: dict[int, AssignResult], *,
                  check: Callable[[list[str]], Mapping[str, str | None]] | None,
                  write: Callable[[Todo], None], windows: WriteWindows | None = None,
                  clock: Callable[[], float] = time.monotonic) -> None:
    """Write ``todo`` with ``policy``'s retries, each attempt = ``check`` (one request: lead id ->
    owner now) then ``write`` (one request; fills ``results``, raises ``CrmError`` when the whole
    request failed). Leads a person took are left out by the check of the attempt that would
    have written them. After the last attempt the leads still to write get ``failed`` results."""
    pending: Todo = list(todo)

    def attempt() -> None:
        nonlocal pending
        pending = list(todo)
        checked_at = None
        if check is not None:
            current = check([req.lead_id for _, req in todo])
            checked_at = clock()
            pending = recheck(todo, current, results)
        if pending:
            write(pending)
            if windows is not None and checked_at is not None:
                windows.add(clock() - checked_at)

    try:
        policy.call(attempt)
    except CrmError as exc:
        for (index, _), result in zip(pending, failed([req for _, req in pending], exc)):
            results[index] = result
