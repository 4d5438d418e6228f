"""The routing state in the database, as the engine's ``RoutingState``.

One batch of decisions happens inside one transaction that first locks the rotation rows of
every rule (``SELECT … FOR UPDATE`` in rule-name order, so two workers never deadlock) and the
rep rows, loads them once, lets ``decide()`` run against the in-memory copy, applies each
decision's ``StateChanges`` to that copy, and writes the lot back before commit. N workers on N
hosts therefore rotate exactly as one; on SQLite the single writer lock does the same job.

Open load is kept per connection (``open_by_connection``): a batch of one connection adds its
changes to that connection's share, and reconciling a CRM replaces only its own share; the
``open_load`` the engine reads is their sum.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.routing.models import RepState as RepRow
from connector.routing.models import RuleState
from rules_engine import InMemoryState, RepState, StateChanges
from rules_engine.ledger import Ledger


def _epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _datetime(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, timezone.utc) if epoch is not None else None


class SqlRoutingState:
    """Loaded once per batch under lock; ``apply`` updates the copy; ``flush`` writes it back."""

    def __init__(self, session: Session, rules: Iterable[str], reps: Iterable[str] = (),
                 connection: str | None = None) -> None:
        self.session = session
        self.connection = connection  # whose share of the open load this batch's changes are
        self._loaded_open: dict[str, int] = {}
        self.memory = InMemoryState()
        self._rule_rows: dict[str, RuleState] = {}
        self._rep_rows: dict[str, RepRow] = {}
        self._touched_rules: set[str] = set()
        self._touched_reps: set[str] = set()
        self._lock_and_load(sorted(set(rules)), sorted(set(reps)))

    # -- RoutingState --------------------------------------------------------------------------
    def rep(self, rep_id: str) -> RepState | None:
        return self.memory.rep(rep_id)

    def rotation(self, rule: str) -> str | None:
        return self.memory.rotation(rule)

    def credits(self, rule: str) -> Mapping[str, int]:
        return self.memory.credits(rule)

    # -- changes -------------------------------------------------------------------------------
    def apply(self, changes: StateChanges) -> None:
        self.memory.apply(changes)
        self._touched_rules.update(changes.rotation, changes.credits)
        self._touched_reps.update(changes.reps)

    def flush(self) -> None:
        """Write every touched rule and rep row back (still inside the caller's transaction)."""
        for rule in self._touched_rules:
            row = self._rule_rows.get(rule)
            if row is None:
                row = self._rule_rows[rule] = RuleState(rule=rule)
                self.session.add(row)
            row.pointer = self.memory.rotation(rule)
            row.credits = dict(self.memory.credits(rule))
        for rep_id in self._touched_reps:
            state = self.memory.rep(rep_id)
            row = self._rep_rows.get(rep_id)
            if row is None:
                row = self._rep_rows[rep_id] = RepRow(rep_id=rep_id)
                self.session.add(row)
            if self.connection is None:
                row.open_load = state.open
            else:
                shares = dict(row.open_by_connection or {})
                delta = state.open - self._loaded_open.get(rep_id, 0)
                shares[self.connection] = max(0, int(shares.get(self.connection, 0)) + delta)
                row.open_by_connection = shares
                row.open_load = sum(int(n) for n in shares.values())
                state.open = row.open_load
            self._loaded_open[rep_id] = state.open
            row.last_assigned_at = _datetime(state.last_assigned)
            row.counts = dict(state.counts)
            row.converted, row.outcomes = state.converted, state.outcomes
            row.ledger = state.ledger.to_dict()
        self.session.flush()
        self._touched_rules.clear()
        self._touched_reps.clear()

    # -- loading -------------------------------------------------------------------------------
    def _lock_and_load(self, rules: list[str], reps: list[str]) -> None:
        session = self.session
        # Rows must exist to be locked. INSERT … ON CONFLICT DO NOTHING waits for a concurrent
        # creator of the same row and then skips it, so racing workers never fail here.
        _insert_missing(session, RuleState, RuleState.rule, rules)
        _insert_missing(session, RepRow, RepRow.rep_id, reps)
        for row in session.scalars(select(RuleState).where(RuleState.rule.in_(rules))
                                   .order_by(RuleState.rule).with_for_update()):
            self._rule_rows[row.rule] = row
            _remember_rule(self.memory, row)
        for row in session.scalars(select(RepRow).order_by(RepRow.rep_id).with_for_update()):
            self._rep_rows[row.rep_id] = row
            self._loaded_open[row.rep_id] = row.open_load
            self.memory.reps[row.rep_id] = _rep_state(row)


def _remember_rule(memory: InMemoryState, row: RuleState) -> None:
    if row.pointer:
        memory.rotations[row.rule] = row.pointer
    if row.credits:
        memory.credit_maps[row.rule] = {k: int(v) for k, v in row.credits.items()}


def _rep_state(row: RepRow) -> RepState:
    return RepState(open=row.open_load, last_assigned=_epoch(row.last_assigned_at),
                    counts={str(k): int(v) for k, v in (row.counts or {}).items()},
                    converted=row.converted, outcomes=row.outcomes, ledger=Ledger.from_dict(row.ledger))


def read_state(session: Session) -> InMemoryState:
    """The whole routing state as it stands, read without locks (a snapshot for backtests)."""
    memory = InMemoryState()
    for row in session.scalars(select(RuleState)):
        _remember_rule(memory, row)
    for row in session.scalars(select(RepRow)):
        memory.reps[row.rep_id] = _rep_state(row)
    return memory


def _insert_missing(session: Session, model, key_column, keys: list[str]) -> None:
    if not keys:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(model).values([{key_column.key: key} for key in keys]).on_conflict_do_nothing())


def apply_outside_batch(session: Session, changes: StateChanges, connection: str | None = None) -> None:
    """Outcome sync, releases and reconciliation change rep figures too: same locks, same code."""
    state = SqlRoutingState(session, changes.rotation.keys() | changes.credits.keys(), changes.reps.keys(),
                            connection=connection)
    state.apply(changes)
    state.flush()


def set_open_load(session: Session, loads: Mapping[str, int], now: datetime, connection: str | None = None) -> None:
    """Reconcile our open-load counts with what the CRM reports (``read_open_load``): with
    ``connection``, only that connection's share is replaced and the total is the sum."""
    _insert_missing(session, RepRow, RepRow.rep_id, sorted(loads))
    rows = {row.rep_id: row for row in session.scalars(
        select(RepRow).where(RepRow.rep_id.in_(list(loads))).order_by(RepRow.rep_id).with_for_update())}
    for rep_id, load in loads.items():
        row = rows[rep_id]
        if connection is None:
            row.open_load = max(0, int(load))
        else:
            shares = {**(row.open_by_connection or {}), connection: max(0, int(load))}
            row.open_by_connection = shares
            row.open_load = sum(int(n) for n in shares.values())
        row.load_reconciled_at = now
    session.flush()
