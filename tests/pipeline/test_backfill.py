"""A new connection routes only what arrives after it was connected; `backfill` routes older
unassigned records on demand (dry run first), with a summary."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from connector.pipeline.models import InboxEvent
from tests.pipeline.test_end_to_end import owner_in_crm
from tests.pipeline.test_processes import ROOT, create_contacts, worker_env


def cli(routed, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, env=worker_env(routed),
                            capture_output=True, text=True, timeout=180)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_a_backlog_waits_for_backfill_which_dry_runs_then_queues_it(routed):
    routed.control.hubspot.configure_webhooks(url=None)  # only the poller sees records
    routed.control.salesforce.set_outbound_url(None)
    since = (datetime.now(timezone.utc) - timedelta(seconds=2)).isoformat()
    backlog = create_contacts(routed, 50)  # unassigned records that exist before we connect
    time.sleep(1.1)

    first = cli(routed, "poll", "hubspot")  # the first command that knows the connection connects it
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "hubspot: 0 new lead(s) queued"
    fresh = create_contacts(routed, 1)  # created after: the poller routes it
    assert cli(routed, "poll", "hubspot").stdout.strip() == "hubspot: 1 new lead(s) queued"

    dry = cli(routed, "backfill", "hubspot", "--since", since, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.strip().splitlines()
    shown = {line.split()[0] for line in lines[:-1]}
    assert set(backlog) <= shown and "round_robin:" in dry.stdout
    assert lines[-1].startswith("hubspot: ") and "would be queued (dry run: nothing queued)" in lines[-1]
    assert routed.count(InboxEvent) == 1  # only the fresh one: the dry run queued nothing

    run = cli(routed, "backfill", "hubspot", "--since", since, "--limit", "60")
    assert run.returncode == 0, run.stderr
    queued = int(run.stdout.split(": ", 1)[1].split(" queued")[0])
    assert queued >= 50 and "1 already queued or routed" in run.stdout  # the fresh one, once
    worker = cli(routed, "worker", "--once")
    assert worker.returncode == 0, worker.stderr
    for lead_id in backlog + fresh:
        assert owner_in_crm(routed, "hubspot", lead_id), lead_id


def test_backfill_of_an_unknown_connection_or_a_bad_date_is_one_line(routed):
    unknown = cli(routed, "backfill", "nope", "--since", "2026-01-01")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == ["Error: no connection named 'nope' (known: hubspot, salesforce)"]
    bad = cli(routed, "backfill", "hubspot", "--since", "yesterday")
    assert bad.returncode == 2 and "an ISO date or time" in bad.stderr


def test_a_burst_of_records_in_one_second_keeps_the_poller_moving(routed):
    """The cursor keeps the ids seen at its boundary timestamp: a list import of many records
    created in the same instant made it longer than the column once (the poll failed forever)."""
    from connector.pipeline import jobs

    routed.control.hubspot.configure_webhooks(url=None)
    routed.control.salesforce.set_outbound_url(None)
    from connector.connections.service import record_connections

    record_connections(routed.app)
    routed.crm.sandbox.clock.set(datetime.now(timezone.utc) + timedelta(seconds=2))  # one instant for all
    try:
        burst = create_contacts(routed, 100)
        assert jobs.poll(routed.app, "hubspot") == 100
        assert jobs.poll(routed.app, "hubspot") == 0  # the cursor was stored and moved on
    finally:
        routed.crm.sandbox.clock.set(None)
    assert routed.drain().written == len(burst)
