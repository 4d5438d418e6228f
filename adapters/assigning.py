"""What both adapters do around an owner write: check the current owner first, and turn a
request that failed as a whole into one result per lead."""
from __future__ import annotations

from typing import Mapping, Sequence

from adapters.base import ANY_OWNER, AssignmentRequest, AssignOutcome, AssignResult
from adapters.errors import AuthError, CrmError, PermissionDenied, RateLimited

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
