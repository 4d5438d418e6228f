"""The notifier interface: one class per channel, one method, ``send``, that returns or raises.

    NotifyError(message, permanent=False, retry_after=None)
      permanent=False   worth retrying (network, 5xx, 429): the outbox tries again with backoff,
                        never sooner than ``retry_after`` seconds when the service said so
      permanent=True    retrying cannot help (unknown channel, no such user, bad address): the
                        outbox marks the row failed at once, with the message, for an admin

A notifier never touches the database; the outbox records what happened (healthchecks'
``Transport.notify`` + ``TransportError(permanent=...)`` shape).
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar


class NotifyError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message, self.permanent, self.retry_after = message, permanent, retry_after


class Kind(enum.StrEnum):
    """What a notification says (``notifications.kind``); each has its templates."""

    ASSIGNED = "assigned"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    PAUSED = "paused"
    DIGEST = "digest"
    WITHDRAWN = "withdrawn"    # Slack only: the rep's earlier message updated in place (re-routed)
    READY = "ready"            # a lead the rep owns became sales-ready (an `alert: owner` rule)


class NotifyEvent(enum.StrEnum):
    """``assignment_events.status`` values the notify room records (besides the pipeline's)."""

    NOTIFIED = "notified"          # first successful `assigned` notification: speed to lead
    ACCEPTED = "accepted"          # Accept in Slack / from the email link: stops the SLA clock
    PASSED = "passed"              # the rep passed: re-routed without them
    SLA_BREACHED = "sla_breached"  # first touch not within the rule's minutes
    REMINDED = "reminded"
    REROUTED = "rerouted"          # SLA ladder: routed again without everyone who had it
    ESCALATED = "escalated"


@dataclass(frozen=True)
class Message:
    """One outbox row as a notifier sees it."""

    id: int
    kind: str
    target: str          # slack: U…/#name/C…/an email (DM via users.lookupByEmail); email: address
    payload: dict[str, Any] = field(default_factory=dict)


class Notifier(ABC):
    channel: ClassVar[str]

    @abstractmethod
    def send(self, message: Message) -> dict[str, Any]:
        """Deliver or raise ``NotifyError``. Returns a receipt kept on the outbox row (Slack:
        channel, ts and user, so the message can be updated in place later)."""

    def close(self) -> None:  # pragma: no cover - nothing to release by default
        pass
