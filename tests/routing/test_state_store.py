"""The routing state in the database: N concurrent deciders rotate exactly as one."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import select

from connector.routing.models import RepState as RepRow
from connector.routing.models import RuleState
from connector.routing.state import SqlRoutingState, set_open_load
from rules_engine import Status, decide, load_config
from rules_engine.state import RepDelta, StateChanges

REPS = ["ana", "bruno", "carla", "dmitri", "eva", "femi", "gus"]
CONFIG = load_config({
    "version": 1,
    "timezone": "UTC",
    "reps": [{"id": rep, "name": rep.title(), "email": f"{rep}@example.com"} for rep in REPS],
    "teams": [{"id": "inbound", "members": REPS}],
    "rules": [{"name": "everyone", "to": "team:inbound", "pick": "round_robin"}],
})
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


def route_batch(database, lead_ids: list[str]) -> list[str]:
    owners = []
    with database.session() as session:
        state = SqlRoutingState(session, [rule.name for rule in CONFIG.rules])
        for lead_id in lead_ids:
            decision = decide({"id": lead_id}, CONFIG, state, NOW)
            assert decision.status is Status.ASSIGNED
            state.apply(decision.state_changes)
            owners.append(decision.owner)
        state.flush()
    return owners


def test_state_survives_between_batches(database):
    first = route_batch(database, ["1", "2", "3"])
    second = route_batch(database, ["4", "5"])
    assert first + second == REPS[:5]
    with database.session() as session:
        assert session.get(RuleState, "everyone").pointer == "eva"
        ana = session.get(RepRow, "ana")
        assert ana.open_load == 1 and ana.last_assigned_at == NOW and sum(ana.counts.values()) >= 1


def test_concurrent_deciders_rotate_exactly_as_one(database):
    owners: list[str] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def worker(index: int) -> None:
        try:
            for batch in range(12):
                got = route_batch(database, [f"{index}-{batch}-{n}" for n in range(5)])
                with guard:
                    owners.extend(got)
        except BaseException as exc:  # noqa: BLE001 — surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    counts = Counter(owners)
    assert sum(counts.values()) == 240
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    with database.session() as session:
        loads = {row.rep_id: row.open_load for row in session.scalars(select(RepRow))}
    assert loads == dict(counts)


def test_reconciling_open_load_overwrites_our_count(database):
    route_batch(database, ["1"])
    with database.session() as session:
        set_open_load(session, {"ana": 12, "zoe": 3}, NOW)
    with database.session() as session:
        assert session.get(RepRow, "ana").open_load == 12
        assert session.get(RepRow, "zoe").load_reconciled_at == NOW


def test_each_connection_reconciles_only_its_own_share_of_the_open_load(database):
    with database.session() as session:
        set_open_load(session, {"ana": 4}, NOW, connection="hubspot")
    with database.session() as session:
        set_open_load(session, {"ana": 3}, NOW, connection="salesforce")  # once overwrote HubSpot's 4
    with database.session() as session:
        state = SqlRoutingState(session, [rule.name for rule in CONFIG.rules], ["ana"], connection="hubspot")
        state.apply(StateChanges(reps={"ana": RepDelta(open=1)}))  # a HubSpot lead routed to ana
        state.flush()
    with database.session() as session:
        row = session.get(RepRow, "ana")
        assert (row.open_load, row.open_by_connection) == (8, {"hubspot": 5, "salesforce": 3})
    with database.session() as session:
        set_open_load(session, {"ana": 1}, NOW, connection="salesforce")
    with database.session() as session:
        row = session.get(RepRow, "ana")
        assert (row.open_load, row.open_by_connection) == (6, {"hubspot": 5, "salesforce": 1})
