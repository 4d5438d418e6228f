"""The HubSpot webhook body as HubSpot documents it (developers.hubspot.com, webhooks API: an
array of at most 100 event objects), validated with pydantic before anything reads it.

Parsing and validation are one step (pydantic-core's JSON parser), so a body nested thousands
deep, a number too large for any field, an ``occurredAt`` that is an object or centuries away, or
an array of arrays is a ``WebhookRejected`` (400) naming the field, never a RecursionError or an
OverflowError further in.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, TypeAdapter, \
    ValidationError

from adapters.errors import WebhookRejected
from adapters.lead_ids import MAX_HUBSPOT_ID

MAX_EVENTS = 1000              # HubSpot sends up to 100 per request; leave room, but bound it
# occurredAt is epoch milliseconds: up to 2100-01-01 (a datetime can hold it; no real event is later).
MIN_OCCURRED_MS = 0
MAX_OCCURRED_MS = 4_102_444_800_000

Id = Annotated[StrictInt, Field(ge=0, le=MAX_HUBSPOT_ID)]
Text = Annotated[StrictStr, Field(max_length=512)]
Scalar = Union[StrictStr, StrictInt, StrictFloat, StrictBool, None]


class HubSpotEvent(BaseModel):
    """One event; unknown keys are kept (HubSpot adds fields), known ones must have their type."""

    model_config = ConfigDict(extra="allow", frozen=True)

    eventId: Id
    subscriptionId: Id | None = None
    portalId: Id | None = None
    appId: Id | None = None
    occurredAt: Annotated[StrictInt, Field(ge=MIN_OCCURRED_MS, le=MAX_OCCURRED_MS)]
    subscriptionType: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    attemptNumber: Annotated[StrictInt, Field(ge=0, le=1000)] | None = None
    # absent on association-change events (fromObjectId / toObjectId): those are skipped, not refused
    objectId: Annotated[StrictInt, Field(ge=1, le=MAX_HUBSPOT_ID)] | None = None
    objectTypeId: Text | None = None
    propertyName: Text | None = None
    propertyValue: Annotated[Scalar, Field(union_mode="left_to_right")] = None
    changeSource: Text | None = None
    changeFlag: Text | None = None
    sourceId: Text | None = None

    @property
    def occurred(self) -> datetime:
        return datetime.fromtimestamp(self.occurredAt / 1000, tz=timezone.utc)

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


EVENTS = TypeAdapter(Annotated[list[HubSpotEvent], Field(max_length=MAX_EVENTS)])


def parse(body: bytes) -> list[HubSpotEvent]:
    try:
        return EVENTS.validate_json(body)
    except ValidationError as exc:
        raise WebhookRejected(f"not a HubSpot event list: {describe(exc)}", status=400) from None


def describe(exc: ValidationError, limit: int = 3) -> str:
    """pydantic's errors as one short line: where, and what was wrong (never the input itself)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
