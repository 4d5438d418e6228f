"""The owner write every adapter does (``OwnerWriter``): refuse what cannot be written, write in
the CRM's batches, check the current owners immediately before every write attempt (retries
included), and turn the CRM's answer, partial failures and all, into one result per lead. Each
CRM supplies only its hooks: how to read the owners now, how to write one batch and read its
answer, which ids and owners it can take, and its rate-limit slots.

A write attempt is *one* owner read and *one* write, back to back, with no wait and no resend in
between; when the write fails and may be retried, the retry policy waits and the next attempt
starts again from the check (``checked_write``). So a retry never outlives the check that
allowed it, and a person who takes a lead while we back off always wins.
"""
from __future__ import annotations

import abc
import time
from collections import deque
from typing import Any, Callable, ClassVar, Mapping, Sequence

from adapters.base import (ANY_OWNER, AssignmentRequest, AssignOutcome, AssignResult, ConnectionHealth, CrmAdapter,
                           chunked)
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


class OwnerWriter(abc.ABC):
    """The template: ``write(requests)`` -> one ``AssignResult`` per request, in order. Each
    attempt of each batch is ``current_owners`` (one request) then ``write_batch`` (one request),
    back to back (``checked_write``); ``recheck=False`` leaves the check out."""

    batch: ClassVar[int] = 100

    def __init__(self, policy: RetryPolicy, *, recheck: bool, windows: WriteWindows) -> None:
        self.policy, self.recheck, self.windows = policy, recheck, windows

    # -- each CRM's hooks ----------------------------------------------------------------------
    def refuse(self, req: AssignmentRequest) -> AssignResult | None:
        """A result for a request that cannot be written at all (a malformed id or owner)."""
        return None

    @abc.abstractmethod
    def current_owners(self, ids: list[str]) -> Mapping[str, str | None]:
        """One request, no retry of its own: lead id -> its owner now (absent: gone)."""

    @abc.abstractmethod
    def write_batch(self, todo: Todo, results: dict[int, AssignResult], **options: Any) -> None:
        """One request, no retry of its own: fills ``results`` from the CRM's answer (each
        lead's own outcome); raises ``CrmError`` when the request failed as a whole."""

    def reserve(self, calls: int) -> None:
        """Take ``calls`` rate-limit slots at once (a check and its write: 2)."""

    def after(self, reqs: Sequence[AssignmentRequest], results: Sequence[AssignResult]) -> None:
        """Once every batch is written (HubSpot's lead contacts)."""

    # -- the template ----------------------------------------------------------------------------
    def write(self, reqs: Sequence[AssignmentRequest]) -> list[AssignResult]:
        results: dict[int, AssignResult] = {}
        todo: Todo = []
        for index, req in enumerate(reqs):
            refused = self.refuse(req)
            if refused is not None:
                results[index] = refused
            else:
                todo.append((index, req))
        for chunk in chunked(todo, self.batch):
            self.write_chunk(list(chunk), results)
        answer = [results[i] for i in range(len(reqs))]
        self.after(reqs, answer)
        return answer

    def write_chunk(self, chunk: Todo, results: dict[int, AssignResult]) -> None:
        self.checked(chunk, results)

    def checked(self, chunk: Todo, results: dict[int, AssignResult], **options: Any) -> None:
        def check(ids: list[str]) -> Mapping[str, str | None]:
            self.reserve(2)   # the check and its write go out back to back
            return self.current_owners(ids)

        def write(todo: Todo) -> None:
            if not self.recheck:
                self.reserve(1)
            self.write_batch(todo, results, **options)

        checked_write(self.policy, chunk, results, check=check if self.recheck else None, write=write,
                      windows=self.windows)


class ConnectedAdapter(CrmAdapter):
    """A CRM adapter built on the skeleton: one ``Connection`` (``conn``, adapters/connection.py)
    for every request and one ``OwnerWriter`` (``writer``) for every owner write."""

    conn: Any
    writer: OwnerWriter

    def health(self) -> ConnectionHealth:
        return self.conn.health.snapshot()

    def assign(self, assignments: Sequence[AssignmentRequest]) -> list[AssignResult]:
        return self.writer.write(assignments)
