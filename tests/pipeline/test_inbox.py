"""The inbox stores each lead once and hands each row to exactly one worker."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


from connector.pipeline.inbox import IncomingLead, claim, complete, enqueue, pending_count, release, renew

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


def test_replayed_events_and_overlapping_polls_enqueue_a_lead_once(database):
    with database.session() as session:
        first = enqueue(session, "hubspot", [IncomingLead("101", "webhook", event_id="e1")], NOW)
        replay = enqueue(session, "hubspot", [IncomingLead("101", "webhook", event_id="e1")], NOW)
        other_event = enqueue(session, "hubspot", [IncomingLead("101", "webhook", event_id="e2")], NOW)
        poll = enqueue(session, "hubspot", [IncomingLead("101", "poll")], NOW)
        elsewhere = enqueue(session, "salesforce", [IncomingLead("101", "poll")], NOW)
    assert first.stored == ["101"]
    assert replay.duplicates == other_event.duplicates == poll.duplicates == ["101"]
    assert elsewhere.stored == ["101"]
    with database.session() as session:
        assert pending_count(session) == 2


def test_claims_go_highest_score_first_then_oldest(database):
    with database.session() as session:
        enqueue(session, "hs", [IncomingLead("old-low", "poll", score=1)], NOW - timedelta(minutes=9))
        enqueue(session, "hs", [IncomingLead("new-high", "poll", score=90)], NOW)
        enqueue(session, "hs", [IncomingLead("old-high", "poll", score=90)], NOW - timedelta(minutes=5))
    with database.session() as session:
        rows = claim(session, "w1", 10, NOW)
        assert [row.lead_id for row in rows] == ["old-high", "new-high", "old-low"]


def test_waiting_rows_are_not_claimed_before_they_are_due(database):
    with database.session() as session:
        enqueue(session, "hs", [IncomingLead("1", "poll")], NOW)
    with database.session() as session:
        (row,) = claim(session, "w1", 10, NOW)
        release(session, row.id, NOW + timedelta(hours=1))
    with database.session() as session:
        assert claim(session, "w1", 10, NOW + timedelta(minutes=59)) == []
        assert len(claim(session, "w1", 10, NOW + timedelta(hours=1))) == 1


def test_a_dead_workers_claim_expires_and_the_row_is_claimed_again(database):
    with database.session() as session:
        enqueue(session, "hs", [IncomingLead("1", "poll")], NOW)
    with database.session() as session:
        assert len(claim(session, "crashed", 10, NOW)) == 1
    with database.session() as session:
        assert claim(session, "w2", 10, NOW + timedelta(seconds=20)) == []
        (row,) = claim(session, "w2", 10, NOW + timedelta(seconds=31))  # the 30 s default lease
        assert row.claimed_by == "w2" and row.attempts == 2


def test_a_renewed_claim_is_kept_and_only_its_holder_renews_it(database):
    with database.session() as session:
        enqueue(session, "hs", [IncomingLead("1", "poll")], NOW)
    with database.session() as session:
        (row,) = claim(session, "alive", 10, NOW)
    with database.session() as session:
        assert renew(session, "alive", [row.id], NOW + timedelta(seconds=25)) == 1
        assert renew(session, "someone-else", [row.id], NOW + timedelta(seconds=25)) == 0
    with database.session() as session:
        assert claim(session, "w2", 10, NOW + timedelta(seconds=50)) == []   # 25 s after the beat
        (row,) = claim(session, "w2", 10, NOW + timedelta(seconds=56))
        assert row.claimed_by == "w2"


def test_done_rows_come_back_only_when_requeued(database):
    with database.session() as session:
        enqueue(session, "hs", [IncomingLead("1", "poll")], NOW)
    with database.session() as session:
        complete(session, [row.id for row in claim(session, "w", 10, NOW)])
    with database.session() as session:
        assert enqueue(session, "hs", [IncomingLead("1", "poll")], NOW).duplicates == ["1"]
        assert enqueue(session, "hs", [IncomingLead("1", "reroute")], NOW, requeue=True).stored == ["1"]
        assert [row.lead_id for row in claim(session, "w", 10, NOW)] == ["1"]


def test_concurrent_workers_never_claim_the_same_row(database):
    with database.session() as session:
        enqueue(session, "hs", [IncomingLead(str(n), "poll") for n in range(200)], NOW)
    claimed: list[str] = []
    guard = threading.Lock()

    def worker(name: str) -> None:
        while True:
            with database.session() as session:
                rows = claim(session, name, 7, NOW)
                ids = [row.lead_id for row in rows]
                complete(session, [row.id for row in rows])
            if not ids:
                return
            with guard:
                claimed.extend(ids)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(claimed, key=int) == [str(n) for n in range(200)]
