"""The routing pipeline: claim inbox rows, read the leads, decide once, write until done.

One batch, in order (docs/ARCHITECTURE.md, "Rules of the flow"), one method each:

1. ``_claim`` due inbox rows (SKIP LOCKED; committed at once), a lease its heartbeat renews while
   the batch runs;
2. ``_read`` the leads from the CRM in one batch call, and the accounts their domains match;
3. ``_sort_out`` each lead: dead (unreadable, gone), a human already owns it (``taken_by_human``),
   a decision already waiting for its write, or one to decide;
4. ``_decide`` them (highest score, then oldest) in one transaction with the rotation rows
   locked, storing the decisions and the new routing state;
5. write the owners back in one batch call and record each outcome (``writeback.WriteBack``).

No CRM call happens inside a database transaction, and no lead leaves the inbox without a final
status in the assignments log.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import CrmAdapter, CrmError, LeadRecord
from adapters.errors import AuthError, PermissionDenied
from connector.pipeline import inbox
from connector.pipeline.backoff import write_retry_delay
from connector.pipeline.context import RECENT, AccountCache, Context, read_context, recent_people
from connector.pipeline.inbox import InboxPayload
from connector.pipeline.log import BatchReport, record
from connector.pipeline.models import Assignment, LeadStatus, Source
from connector.pipeline.writeback import OnWritten, ToWrite, WriteBack, request_for
from connector.platform.db import Database
from connector.routing.active import ActiveConfig, RoutingConfigMissing, RoutingConfigs
from connector.routing.backtest import lead_fields
from connector.routing.state import SqlRoutingState
from rules_engine import Decision, InMemoryState, Lead, RoutingConfig, StateChanges, Status, decide, priority_key
from rules_engine.decide import FALLBACK_KEY

log = logging.getLogger(__name__)

OPEN_STATUSES = (LeadStatus.RECEIVED, LeadStatus.DECIDED, LeadStatus.WAITING)
UNROUTABLE_RETRY = timedelta(hours=1)
WAITING_RETRY = timedelta(minutes=15)


# (session, the assignment, the lead, its owner's rep id or None, the config, now)
OnOwned = Callable[[Session, Assignment, Lead, str | None, RoutingConfig, datetime], None]
BeforeDecide = Callable[[Session, InMemoryState, RoutingConfig, datetime], None]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Claimed:
    """One claimed inbox row."""

    inbox_id: int
    lead_id: str
    payload: InboxPayload
    received_at: datetime
    source: Source


@dataclass
class Batch:
    """What one batch works with: its connection and adapter, the config in force, its leads as
    the CRM returned them, and what it did so far."""

    connection: str
    adapter: CrmAdapter
    owner_keys: tuple[str, ...]
    now: datetime
    report: BatchReport
    active: ActiveConfig | None = None
    records: dict[str, LeadRecord] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)   # lead id -> why it cannot be read
    context: Context = field(default_factory=Context)   # the CRM's accounts and known people
    to_write: list[ToWrite] = field(default_factory=list)


class Pipeline(WriteBack):
    def __init__(self, db: Database, configs: RoutingConfigs, *, max_attempts: int = 8,
                 clock: Callable[[], datetime] = _utcnow, lease: timedelta = inbox.DEFAULT_LEASE) -> None:
        self.db, self.configs, self.max_attempts, self.clock, self.lease = db, configs, max_attempts, clock, lease
        # The notify room queues a written lead's notifications here, in the same transaction,
        # and tells the owner of a lead a person owns when it becomes sales-ready (alert: owner).
        self.on_written: list[OnWritten] = []
        self.on_owned: list[OnOwned] = []
        # The outcomes room times each decision for /metrics: (connection, seconds).
        self.on_decided: list[Callable[[str, float], None]] = []
        # ... and loads what its pickers rank by (speed to first touch) into the state first.
        self.before_decide: list[BeforeDecide] = []
        self.accounts = AccountCache()   # the CRM's accounts per connection (connector.pipeline.context)

    def run_batch(self, connection: str, adapter: CrmAdapter, worker: str, limit: int = 100,
                  owner_keys: tuple[str, ...] | None = None) -> BatchReport:
        """``owner_keys``: where reps' ``crm:`` hold their owner ids in this connection (its name,
        then its kind when the kind has one connection: ``Connections.owner_keys``)."""
        batch = Batch(connection, adapter, owner_keys or (connection, adapter.kind), self.clock(), BatchReport())
        claimed = self._claim(batch, worker, limit)
        if claimed:
            with inbox.heartbeat(self.db, worker, [row.inbox_id for row in claimed], self.lease, self.clock):
                self._route(batch, claimed)
        return batch.report

    def _claim(self, batch: Batch, worker: str, limit: int) -> list[Claimed]:
        with self.db.session() as session:
            rows = inbox.claim(session, worker, limit, batch.now, lease=self.lease, connection=batch.connection)
            claimed = [Claimed(row.id, row.lead_id, InboxPayload.from_json(row.payload), row.received_at, row.source)
                       for row in rows]
        batch.report.claimed = len(claimed)
        return claimed

    def _route(self, batch: Batch, claimed: list[Claimed]) -> None:
        try:
            batch.active = self.configs.current()
        except RoutingConfigMissing as exc:
            self._hold(batch, claimed, str(exc), batch.now + WAITING_RETRY)
            return
        try:
            self._read(batch, [row.lead_id for row in claimed])
        except CrmError as exc:
            self._hold(batch, claimed, f"CRM read failed: {exc}", batch.now + write_retry_delay(1, exc))
            return
        config = batch.active.config
        with self.db.session() as session:
            state = SqlRoutingState(session, [rule.name for rule in config.rules] + [FALLBACK_KEY],
                                    [rep.id for rep in config.reps], connection=batch.connection)
            for hook in self.before_decide:
                hook(session, state.memory, config, batch.now)
            batch.context.remember(recent_people(session, batch.connection, batch.now - RECENT))
            work = self._sort_out(session, state, batch, claimed)
            self._decide(session, state, batch, work)
            state.flush()
        if batch.to_write:
            self.write(batch.connection, batch.adapter, batch.to_write, batch.report, config)

    def _read(self, batch: Batch, ids: list[str]) -> None:
        """The batch's leads, and the ids that cannot be read, each with its reason: a malformed
        id is never sent; a read the CRM refuses (not retryable) is split in halves until the
        record that fails it stands alone, so one bad record never holds the others. Errors
        that concern the whole CRM (retryable, credentials, permissions) are raised: the batch
        waits. Then the CRM's accounts and the batch's known people, when a rule wants them."""
        adapter, config = batch.adapter, batch.active.config
        batch.unreadable = {i: problem for i in ids if (problem := adapter.lead_id_problem(i))}

        def read(part: list[str]) -> None:
            try:
                found = adapter.read_leads(part)
            except CrmError as exc:
                if exc.retryable or isinstance(exc, (AuthError, PermissionDenied)):
                    raise
                if len(part) == 1:
                    batch.unreadable[part[0]] = f"CRM read failed for this lead: {exc}"
                    return
                read(part[:len(part) // 2])
                read(part[len(part) // 2:])
                return
            batch.records.update({r.id: r for r in found})

        wanted = [i for i in ids if i not in batch.unreadable]
        if wanted:
            read(wanted)
        batch.context = read_context(self.accounts, connection=batch.connection, version=batch.active.version,
                                     adapter=adapter, config=config, owner_keys=batch.owner_keys,
                                     records=batch.records.values())

    def _sort_out(self, session: Session, state: SqlRoutingState, batch: Batch,
                  claimed: list[Claimed]) -> list[tuple[int, Assignment, LeadRecord, frozenset[str]]]:
        """Each claimed lead's way: dead, already owned, a decision to write, or one to make."""
        config, now, report = batch.active.config, batch.now, batch.report
        work = []
        for row in claimed:
            assignment = self._open_assignment(session, batch.connection, row)
            rec = batch.records.get(row.lead_id)
            if row.lead_id in batch.unreadable or rec is None:
                self._dead(session, state, assignment, row, batch.unreadable.get(row.lead_id), now)
                report.dead += 1
                continue
            assignment.lead_summary = _summary(rec, batch.adapter.record_url(row.lead_id))
            assignment.lead_fields = lead_fields(rec.lead)
            exclude = frozenset(row.payload.exclude)
            holder = config.rep_for_owner(batch.owner_keys, rec.owner_id) if rec.owner_id else None
            rerouting = rec.has_real_owner and holder is not None and holder in exclude
            if rec.has_real_owner and not rerouting:
                self._owned_already(session, state, assignment, rec, row.inbox_id, batch)
                continue
            if assignment.status == LeadStatus.DECIDED and assignment.owner_crm_id:
                batch.to_write.append(ToWrite(row.inbox_id, assignment.id,
                                              request_for(row.lead_id, assignment.owner_crm_id, rec)))
                continue  # decide once: a decision awaiting its write is written, not re-made
            if rerouting and assignment.status != LeadStatus.WAITING:
                # A pass or an SLA breach: the rep who had it gives it up (and its load).
                state.apply(StateChanges.released(holder))
            work.append((row.inbox_id, assignment, rec, exclude))
        return work

    def _decide(self, session: Session, state: SqlRoutingState, batch: Batch,
                work: list[tuple[int, Assignment, LeadRecord, frozenset[str]]]) -> None:
        """``decide()`` each lead, highest priority first, through the batch's one routing state."""
        active, now = batch.active, batch.now
        for inbox_id, assignment, rec, exclude in sorted(work, key=lambda item: priority_key(item[2].lead)):
            started = time.perf_counter()
            decision = decide(rec.lead, active.config, state, now, exclude=exclude,
                              crm=batch.owner_keys, accounts=batch.context.accounts,
                              known_people=batch.context.people)
            for hook in self.on_decided:
                hook(batch.connection, time.perf_counter() - started)
            assignment.trace, assignment.rule = decision.trace, decision.rule
            assignment.decided_at, assignment.config_version = now, active.version
            if decision.status is Status.JUNK:
                self._junk(session, batch, inbox_id, assignment, rec, decision)
                continue
            if decision.status is Status.ASSIGNED:
                state.apply(decision.state_changes)
                batch.context.assigned(rec, decision.owner)
                assignment.rep_id, assignment.owner_crm_id = decision.owner, decision.crm_owner_id
                assignment.previous_owner_crm_id = rec.owner_id
                record(session, assignment, LeadStatus.DECIDED, now, rule=decision.rule, rep=decision.owner)
                batch.to_write.append(ToWrite(inbox_id, assignment.id, request_for(rec.id, decision.crm_owner_id, rec)))
                continue
            unroutable = decision.status is Status.UNROUTABLE
            reason = decision.explain()[-1] if decision.trace else "no rule matched"
            retry = decision.retry_after or now + (UNROUTABLE_RETRY if unroutable else WAITING_RETRY)
            assignment.reason, assignment.next_attempt_at = reason, retry
            record(session, assignment, LeadStatus.WAITING, now, reason=reason, unroutable=unroutable)
            inbox.release(session, inbox_id, retry)
            batch.report.waiting += 1

    @staticmethod
    def _junk(session: Session, batch: Batch, inbox_id: int, assignment: Assignment, rec: LeadRecord,
              decision: Decision) -> None:
        """A lead that failed a quality check: no turn, no load. Held (status junk, done), or
        written to the junk owner (``quality.action: rep:X | team:X``) like any decision."""
        reasons = list(decision.junk)
        assignment.reason = "junk: " + ", ".join(reasons)
        if decision.owner and decision.crm_owner_id:
            assignment.rep_id, assignment.owner_crm_id = decision.owner, decision.crm_owner_id
            assignment.previous_owner_crm_id = rec.owner_id
            record(session, assignment, LeadStatus.DECIDED, batch.now, rule=None, rep=decision.owner, junk=reasons)
            batch.to_write.append(ToWrite(inbox_id, assignment.id, request_for(rec.id, decision.crm_owner_id, rec)))
            return
        record(session, assignment, LeadStatus.JUNK, batch.now, junk=reasons)
        inbox.complete(session, [inbox_id])

    # -- the ways a lead leaves the batch before a decision ----------------------------------
    @staticmethod
    def _open_assignment(session: Session, connection: str, row: Claimed) -> Assignment:
        existing = session.scalars(
            select(Assignment).where(Assignment.connection == connection, Assignment.lead_id == row.lead_id,
                                     Assignment.status.in_(OPEN_STATUSES))
            .order_by(Assignment.id.desc()).limit(1)).first()
        if existing is not None:
            return existing
        assignment = Assignment(connection=connection, lead_id=row.lead_id, status=LeadStatus.RECEIVED,
                                received_at=row.received_at, reason=row.payload.reason)
        session.add(assignment)
        session.flush()
        record(session, assignment, LeadStatus.RECEIVED, row.received_at, source=row.source)
        return assignment

    @staticmethod
    def _dead(session: Session, state: SqlRoutingState, assignment: Assignment, row: Claimed,
              unreadable: str | None, now: datetime) -> None:
        """A malformed id, a record whose own read fails, or one the CRM no longer has."""
        if unreadable is not None:
            if assignment.status == LeadStatus.DECIDED and assignment.rep_id:
                state.apply(StateChanges.released(assignment.rep_id))
            assignment.last_error = unreadable
            record(session, assignment, LeadStatus.DEAD, now, error=unreadable)
        else:
            record(session, assignment, LeadStatus.DEAD, now, error="lead not found in the CRM")
            assignment.last_error = "lead not found in the CRM (deleted or merged)"
        inbox.complete(session, [row.inbox_id])

    def _owned_already(self, session: Session, state: SqlRoutingState, assignment: Assignment,
                       rec: LeadRecord, inbox_id: int, batch: Batch) -> None:
        now, report = batch.now, batch.report
        if assignment.status == LeadStatus.DECIDED and rec.owner_id == assignment.owner_crm_id:
            # Our own write landed but its result was never recorded (a worker died after writing).
            assignment.written_at = assignment.written_at or now
            record(session, assignment, LeadStatus.WRITTEN, now, recovered=True)
            self.written(session, assignment, batch.active.config, now)
            report.written += 1
        else:
            if assignment.status == LeadStatus.DECIDED and assignment.rep_id:
                # Through the batch's own state: it is flushed last and would undo a separate write.
                state.apply(StateChanges.released(assignment.rep_id))
            assignment.reason = f"owner {rec.owner_id} set in the CRM before we wrote"
            record(session, assignment, LeadStatus.TAKEN_BY_HUMAN, now, owner=rec.owner_id)
            report.taken_by_human += 1
            owner = batch.active.config.rep_for_owner(batch.owner_keys, rec.owner_id)
            for hook in self.on_owned:
                hook(session, assignment, rec.lead, owner, batch.active.config, now)
        inbox.complete(session, [inbox_id])

    def _hold(self, batch: Batch, claimed: list[Claimed], reason: str, until: datetime) -> None:
        """Nothing could be decided for this batch: every lead waits, visibly, and comes back."""
        with self.db.session() as session:
            for row in claimed:
                assignment = self._open_assignment(session, batch.connection, row)
                assignment.reason, assignment.next_attempt_at = reason, until
                if assignment.status != LeadStatus.DECIDED:
                    record(session, assignment, LeadStatus.WAITING, batch.now, reason=reason)
                inbox.release(session, row.inbox_id, until)
        batch.report.waiting += len(claimed)
        batch.report.errors.append(reason)
        log.warning("batch for %s held: %s", batch.connection, reason)


def _summary(rec: LeadRecord, url: str | None) -> dict:
    lead = rec.lead
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return {key: value for key, value in {"name": name or None, "company": lead.company, "email": lead.email,
            "country": lead.country, "score": lead.score, "source": lead.source, "url": url}.items() if value is not None}
