"""How long a failed CRM write waits before its next attempt (tenacity's exponential jitter).

With the defaults, 8 attempts span about an hour: 30 s, 1, 2, 4, 8, 16 min, then 30 min, each
plus up to 15 s of jitter so a fleet of workers does not retry in lock-step. A CRM that says how
long to wait (429 Retry-After, HubSpot's rate-limit window) is never asked again sooner.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from tenacity import wait_exponential_jitter

_WAIT = wait_exponential_jitter(multiplier=30, max=1800, exp_base=2, jitter=15)


def write_retry_delay(attempt: int, error: BaseException | None = None, *,
                      retry_after: float | None = None) -> timedelta:
    """Delay before attempt ``attempt + 1`` (``attempt`` >= 1 failed attempts so far)."""
    seconds = _WAIT(SimpleNamespace(attempt_number=max(1, attempt)))
    asked = retry_after if retry_after is not None else getattr(error, "retry_after", None)
    if asked:
        seconds = max(seconds, float(asked))
    return timedelta(seconds=seconds)
