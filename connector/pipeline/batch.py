"""The routing pipeline: claim inbox rows, read the leads, decide once, write until done.

One batch, in order (ARCHITECTURE.md, "Rules of the flow"):

1. claim due inbox rows (SKIP LOCKED; committed at once), a lease its heartbeat renews while
   the batch runs;
2. read the leads from the CRM in one batch call, and the accounts their domains match;
3. drop leads a human already owns (``taken_by_human``);
4. in one transaction with the rotation rows locked: ``decide()`` each lead (highest score, then
   oldest), store the decisions and the new routing state;
5. write the owners back in one batch call; record each outcome. A failed write keeps its
   decision and is retried with backoff (honouring the CRM's wait); after the last attempt the
   lead is dead, listed with its error for a retry. A refused owner re-routes to someone else.

No CRM call happens inside a database transaction, and no lead leaves the inbox without a final
status in the assignments log.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import AssignmentRequest, AssignOutcome, CrmAdapter, CrmError, LeadRecord
from adapters.errors import AuthError, PermissionDenied
from connector.pipeline import inbox
from connector.pipeline.backoff import write_retry_delay
from connector.platform.db import Database
from connector.pipeline.models import Assignment, AssignmentEvent, InboxEvent, LeadStatus
from connector.notify.outbox import enqueue_assignment_notifications
from connector.routing.active import RoutingConfigMissing, RoutingConfigs
from connector.routing.state import SqlRoutingState
from rules_engine import StateChanges, Status, decide, priority_key
from rules_engine.decide import FALLBACK_KEY

log = logging.getLogger(__name__)

OPEN_STATUSES = (LeadStatus.RECEIVED.value, LeadStatus.DECIDED.value, LeadStatus.WAITING.value)
UNROUTABLE_RETRY = timedelta(hours=1)
WAITING_RETRY = timedelta(minutes=15)


@dataclass
class BatchReport:
    claimed: int = 0
    written: int = 0
    waiting: int = 0
    taken_by_human: int = 0
    retrying: int = 0
    dead: int = 0
    rerouted: int = 0
    errors: list[str] = field(default_factory=list)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def record(session: Session, assignment: Assignment, status: LeadStatus, at: datetime, **detail) -> None:
    """Move a lead to ``status`` and keep the transition, with its time, in the log."""
    assignment.status = status.value
    session.add(AssignmentEvent(assignment_id=assignment.id, status=status.value, at=at, detail=detail))


class Pipeline:
    def __init__(self, db: Database, configs: RoutingConfigs, *, max_attempts: int = 8,
                 clock: Callable[[], datetime] = _utcnow, settings=None) -> None:
        self.db, self.configs, self.max_attempts, self.clock = db, configs, max_attempts, clock
        self.settings = settings  # for the notifications queued with each written owner
        self.lease = (timedelta(seconds=settings.claim_lease_seconds) if settings is not None
                      else inbox.DEFAULT_LEASE)

    # -- one batch -----------------------------------------------------------------------------
    def run_batch(self, connection: str, adapter: CrmAdapter, worker: str, limit: int = 100,
                  owner_keys: tuple[str, ...] | None = None) -> BatchReport:
        """``owner_keys``: where reps' ``crm:`` hold their owner ids in this connection (its name,
        then its kind when the kind has one connection: ``Connections.owner_keys``)."""
        report = BatchReport()
        now = self.clock()
        with self.db.session() as session:
            rows = inbox.claim(session, worker, limit, now, lease=self.lease, connection=connection)
            claimed = [(row.id, row.lead_id, dict(row.payload or {}), row.received_at) for row in rows]
        report.claimed = len(claimed)
        if not claimed:
            return report
        with self._heartbeat(worker, [inbox_id for inbox_id, _, _, _ in claimed]):
            self._route(connection, adapter, claimed, now, report, owner_keys or (connection, adapter.kind))
        return report

    @contextmanager
    def _heartbeat(self, worker: str, inbox_ids: list[int]) -> Iterator[None]:
        """While this batch runs, renew its claim every third of the lease: a living worker
        keeps its rows however long the CRM takes; a dead one loses them after one lease."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.lease.total_seconds() / 3):
                try:
                    with self.db.session() as session:
                        inbox.renew(session, worker, inbox_ids, self.clock())
                except Exception:  # noqa: BLE001 — a missed beat only shortens the claim
                    log.warning("could not renew the claim of %d inbox row(s)", len(inbox_ids), exc_info=True)

        thread = threading.Thread(target=beat, name=f"lease-{worker}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=10)

    def _route(self, connection: str, adapter: CrmAdapter, claimed: list, now: datetime,
               report: BatchReport, owner_keys: tuple[str, ...]) -> None:
        try:
            active = self.configs.current()
        except RoutingConfigMissing as exc:
            self._hold(connection, claimed, now, str(exc), now + WAITING_RETRY, report)
            return
        try:
            records, unreadable = self._read(adapter, [lead_id for _, lead_id, _, _ in claimed])
            domains = {r.lead.domain for r in records.values() if r.lead.domain}
            wants_accounts = any(rule.account for rule in active.config.compiled.rules)
            accounts = adapter.read_accounts(domains) if domains and wants_accounts else {}
        except CrmError as exc:
            self._hold(connection, claimed, now, f"CRM read failed: {exc}", now + write_retry_delay(1, exc), report)
            return
        account_reps = {domain: rep for domain, match in accounts.items()
                        if match.owner_id and (rep := active.config.rep_for_owner(owner_keys, match.owner_id))}

        to_write: list[tuple[int, int, AssignmentRequest]] = []  # (inbox id, assignment id, request)
        with self.db.session() as session:
            state = SqlRoutingState(session, [rule.name for rule in active.config.rules] + [FALLBACK_KEY],
                                    [rep.id for rep in active.config.reps], connection=connection)
            work = []
            for inbox_id, lead_id, payload, received_at in claimed:
                assignment = self._open_assignment(session, connection, lead_id, received_at, payload)
                rec = records.get(lead_id)
                if lead_id in unreadable:  # a malformed id, or a record whose own read fails
                    if assignment.status == LeadStatus.DECIDED.value and assignment.rep_id:
                        state.apply(StateChanges.released(assignment.rep_id))
                    assignment.last_error = unreadable[lead_id]
                    record(session, assignment, LeadStatus.DEAD, now, error=unreadable[lead_id])
                    inbox.complete(session, [inbox_id])
                    report.dead += 1
                    continue
                if rec is None:
                    record(session, assignment, LeadStatus.DEAD, now, error="lead not found in the CRM")
                    assignment.last_error = "lead not found in the CRM (deleted or merged)"
                    inbox.complete(session, [inbox_id])
                    report.dead += 1
                    continue
                assignment.lead_summary = _summary(rec, adapter.record_url(lead_id))
                exclude = frozenset(payload.get("exclude", ()))
                holder = active.config.rep_for_owner(owner_keys, rec.owner_id) if rec.owner_id else None
                rerouting = rec.has_real_owner and holder is not None and holder in exclude
                if rec.has_real_owner and not rerouting:
                    self._owned_already(session, state, assignment, rec, inbox_id, now, report, active.config)
                    continue
                if assignment.status == LeadStatus.DECIDED.value and assignment.owner_crm_id:
                    to_write.append((inbox_id, assignment.id, _request(lead_id, assignment.owner_crm_id, rec)))
                    continue  # decide once: a decision awaiting its write is written, not re-made
                if rerouting and assignment.status != LeadStatus.WAITING.value:
                    # A pass or an SLA breach: the rep who had it gives it up (and its load).
                    state.apply(StateChanges.released(holder))
                work.append((inbox_id, assignment, rec, exclude))
            work.sort(key=lambda item: priority_key(item[2].lead))
            for inbox_id, assignment, rec, exclude in work:
                decision = decide(rec.lead, active.config, state, now, exclude=exclude,
                                  crm=owner_keys, accounts=account_reps)
                assignment.trace, assignment.rule = decision.trace, decision.rule
                assignment.decided_at, assignment.config_version = now, active.version
                if decision.status is Status.ASSIGNED:
                    state.apply(decision.state_changes)
                    assignment.rep_id, assignment.owner_crm_id = decision.owner, decision.crm_owner_id
                    assignment.previous_owner_crm_id = rec.owner_id
                    record(session, assignment, LeadStatus.DECIDED, now, rule=decision.rule, rep=decision.owner)
                    to_write.append((inbox_id, assignment.id, _request(rec.id, decision.crm_owner_id, rec)))
                    continue
                unroutable = decision.status is Status.UNROUTABLE
                reason = decision.explain()[-1] if decision.trace else "no rule matched"
                retry = decision.retry_after or now + (UNROUTABLE_RETRY if unroutable else WAITING_RETRY)
                assignment.reason, assignment.next_attempt_at = reason, retry
                record(session, assignment, LeadStatus.WAITING, now, reason=reason, unroutable=unroutable)
                inbox.release(session, inbox_id, retry)
                report.waiting += 1
            state.flush()
        if to_write:
            self._write(connection, adapter, to_write, report, active.config)

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _read(adapter: CrmAdapter, ids: list[str]) -> tuple[dict[str, LeadRecord], dict[str, str]]:
        """The batch's leads, and the ids that cannot be read, each with its reason: a malformed
        id is never sent; a read the CRM refuses (not retryable) is split in halves until the
        record that fails it stands alone, so one bad record never holds the others. Errors
        that concern the whole CRM (retryable, credentials, permissions) are raised: the batch
        waits."""
        unreadable = {i: problem for i in ids if (problem := adapter.lead_id_problem(i))}
        records: dict[str, LeadRecord] = {}

        def read(part: list[str]) -> None:
            try:
                found = adapter.read_leads(part)
            except CrmError as exc:
                if exc.retryable or isinstance(exc, (AuthError, PermissionDenied)):
                    raise
                if len(part) == 1:
                    unreadable[part[0]] = f"CRM read failed for this lead: {exc}"
                    return
                read(part[:len(part) // 2])
                read(part[len(part) // 2:])
                return
            records.update({r.id: r for r in found})

        wanted = [i for i in ids if i not in unreadable]
        if wanted:
            read(wanted)
        return records, unreadable

    def _open_assignment(self, session: Session, connection: str, lead_id: str, received_at: datetime,
                         payload: dict) -> Assignment:
        existing = session.scalars(
            select(Assignment).where(Assignment.connection == connection, Assignment.lead_id == lead_id,
                                     Assignment.status.in_(OPEN_STATUSES))
            .order_by(Assignment.id.desc()).limit(1)).first()
        if existing is not None:
            return existing
        assignment = Assignment(connection=connection, lead_id=lead_id, status=LeadStatus.RECEIVED.value,
                                received_at=received_at, reason=payload.get("reason"))
        session.add(assignment)
        session.flush()
        record(session, assignment, LeadStatus.RECEIVED, received_at, source=payload.get("source"))
        return assignment

    def _owned_already(self, session: Session, state: SqlRoutingState, assignment: Assignment,
                       rec: LeadRecord, inbox_id: int, now: datetime, report: BatchReport, config) -> None:
        if assignment.status == LeadStatus.DECIDED.value and rec.owner_id == assignment.owner_crm_id:
            # Our own write landed but its result was never recorded (a worker died after writing).
            assignment.written_at = assignment.written_at or now
            record(session, assignment, LeadStatus.WRITTEN, now, recovered=True)
            enqueue_assignment_notifications(session, assignment, config, now, settings=self.settings)
            report.written += 1
        else:
            if assignment.status == LeadStatus.DECIDED.value and assignment.rep_id:
                # Through the batch's own state: it is flushed last and would undo a separate write.
                state.apply(StateChanges.released(assignment.rep_id))
            assignment.reason = f"owner {rec.owner_id} set in the CRM before we wrote"
            record(session, assignment, LeadStatus.TAKEN_BY_HUMAN, now, owner=rec.owner_id)
            report.taken_by_human += 1
        inbox.complete(session, [inbox_id])

    def _hold(self, connection: str, claimed: list, now: datetime, reason: str, until: datetime,
              report: BatchReport) -> None:
        """Nothing could be decided for this batch: every lead waits, visibly, and comes back."""
        with self.db.session() as session:
            for inbox_id, lead_id, payload, received_at in claimed:
                assignment = self._open_assignment(session, connection, lead_id, received_at, payload)
                assignment.reason, assignment.next_attempt_at = reason, until
                if assignment.status != LeadStatus.DECIDED.value:
                    record(session, assignment, LeadStatus.WAITING, now, reason=reason)
                inbox.release(session, inbox_id, until)
        report.waiting += len(claimed)
        report.errors.append(reason)
        log.warning("batch for %s held: %s", connection, reason)

    def _write(self, connection: str, adapter: CrmAdapter, to_write: list, report: BatchReport, config) -> None:
        try:
            results = {r.lead_id: r for r in adapter.assign([request for _, _, request in to_write])}
            failure = None
        except CrmError as exc:  # the whole call failed: every lead keeps its decision and retries
            results, failure = {}, exc
        now = self.clock()
        released: list[str] = []  # reps whose lead did not stay with them: one load update at the end
        with self.db.session() as session:
            for inbox_id, assignment_id, request in to_write:
                assignment = session.get(Assignment, assignment_id)
                result = results.get(request.lead_id)
                outcome = result.outcome if result else AssignOutcome.TRANSIENT
                error = (result.error if result else None) or (str(failure) if failure else "no result")
                if outcome is AssignOutcome.WRITTEN:
                    assignment.written_at, assignment.last_error = now, None
                    record(session, assignment, LeadStatus.WRITTEN, now, owner=request.owner_id)
                    # Same transaction: a written owner always has its notifications queued.
                    enqueue_assignment_notifications(session, assignment, config, now, settings=self.settings)
                    inbox.complete(session, [inbox_id])
                    report.written += 1
                elif outcome is AssignOutcome.OWNER_CHANGED:
                    released.append(assignment.rep_id)
                    assignment.reason = f"owner changed in the CRM to {result.current_owner_id} before our write"
                    record(session, assignment, LeadStatus.TAKEN_BY_HUMAN, now, owner=result.current_owner_id)
                    inbox.complete(session, [inbox_id])
                    report.taken_by_human += 1
                elif outcome is AssignOutcome.INVALID_OWNER:
                    released.append(assignment.rep_id)
                    self._reroute(session, assignment, inbox_id, error, now)
                    report.rerouted += 1
                elif outcome is AssignOutcome.TRANSIENT and assignment.attempts + 1 < self.max_attempts:
                    assignment.attempts += 1
                    retry_after = result.retry_after if result else getattr(failure, "retry_after", None)
                    delay = write_retry_delay(assignment.attempts, failure, retry_after=retry_after)
                    assignment.last_error, assignment.next_attempt_at = error, now + delay
                    session.add(AssignmentEvent(assignment_id=assignment.id, status=LeadStatus.DECIDED.value,
                                                at=now, detail={"write_failed": error, "retry_in_s": delay.total_seconds()}))
                    inbox.release(session, inbox_id, now + delay)
                    report.retrying += 1
                else:
                    assignment.attempts += 1
                    assignment.last_error = error
                    released.append(assignment.rep_id)
                    record(session, assignment, LeadStatus.DEAD, now, error=error)
                    inbox.complete(session, [inbox_id])
                    report.dead += 1
            if released:
                state = SqlRoutingState(session, (), released, connection=connection)
                for rep_id in released:
                    state.apply(StateChanges.released(rep_id))
                state.flush()

    def _reroute(self, session: Session, assignment: Assignment, inbox_id: int, error: str, now: datetime) -> None:
        """The CRM refused the owner (inactive user…): route again without that rep."""
        row = session.get(InboxEvent, inbox_id)
        exclude = sorted(set((row.payload or {}).get("exclude", [])) | {assignment.rep_id})
        row.payload = {**(row.payload or {}), "exclude": exclude}
        assignment.last_error = error
        assignment.reason = f"CRM refused owner {assignment.rep_id}: {error}; routing again"
        record(session, assignment, LeadStatus.WAITING, now, rerouted_from=assignment.rep_id, error=error)
        assignment.owner_crm_id = assignment.rep_id = None
        inbox.release(session, inbox_id, now)


def _request(lead_id: str, owner_id: str, rec: LeadRecord) -> AssignmentRequest:
    return AssignmentRequest(lead_id=lead_id, owner_id=owner_id, expected_owner_id=rec.owner_id,
                             expected_modified_at=rec.modified_at)


def _summary(rec: LeadRecord, url: str | None) -> dict:
    lead = rec.lead
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return {key: value for key, value in {"name": name or None, "company": lead.company, "email": lead.email,
            "country": lead.country, "score": lead.score, "url": url}.items() if value is not None}
