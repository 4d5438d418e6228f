"""The benchmarks run as README says (``python app.py bench NAME``, real processes) and print the
figures issue 14 names as the JSON object on their last line. Small sizes: this is not a timing
test — the figures themselves are read from the benchmarks' output (BENCHMARKS.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def bench(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "app.py", "bench", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, **(env or {})})
    if check:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def figures(done: subprocess.CompletedProcess) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def machine_postgres(postgres_admin_url):
    """The benchmarks that need PostgreSQL use the suite's server (each makes its own database)."""
    return {"LEADROUTER_BENCH_POSTGRES_URL": postgres_admin_url.replace("postgresql+psycopg://", "postgresql://")}


def test_api_cost_counts_every_routers_crm_calls_per_lead():
    result = figures(bench("api_cost", "--burst", "12", "--trickle-seconds", "3", "--poll-seconds", "2"))
    for phase in ("burst", "trickle"):
        got = result[phase]
        # the naive connector makes exactly its three calls a lead (read, load query, write)
        assert got["naive_calls_per_lead"] == 3.0, got
        assert got["calls_per_lead"] > 0 and got["polling_calls_per_lead"] > 0, got
        for vendor in ("hubspot", "salesforce"):   # the same leads for each router, all routed
            assert {got[vendor][r]["leads"] for r in ("leadrouter", "naive", "polling")} == \
                {12 if phase == "burst" else 3}, got[vendor]
    assert result["burst"]["calls_per_lead"] < 3.0, result["burst"]   # a burst is read and written in batches


def test_speed_to_lead_reports_percentiles_and_the_crm_round_trip():
    result = figures(bench("speed_to_lead", "--burst", "10", "--trickle-seconds", "3", "--poll-seconds", "5"))
    for phase in ("burst", "trickle", "polling"):
        got = result[phase]
        assert got["leads"] == (20 if phase == "burst" else 6), got
        assert 0 < got["p50_ms"] <= got["p90_ms"] <= got["p99_ms"], got
    assert result["trickle"]["round_trip_ms"] >= 50 and result["trickle"]["p50_round_trips"] > 1, result["trickle"]
    assert result["polling"]["interval_s"] == 5


def test_ingest_counts_only_events_the_inbox_holds(machine_postgres):
    result = figures(bench("ingest", "--seconds", "2", "--clients", "4", "--events", "5", env=machine_postgres))
    assert result["events_per_s"] > 0 and result["p99_ms"] > 0, result
    for name in ("batched", "single"):
        assert result[name]["stored_events"] == result[name]["accepted_events"] > 0, result[name]


def test_scale_reports_throughput_per_worker_count_and_the_speedup(machine_postgres):
    result = figures(bench("scale", "--leads", "60", "--workers", "1,4", "--latency-ms", "20", env=machine_postgres))
    assert set(result["leads_per_s"]) == {"1", "4"} and all(v > 0 for v in result["leads_per_s"].values()), result
    assert result["speedup_4"] == round(result["leads_per_s"]["4"] / result["leads_per_s"]["1"], 2)


def test_engine_reports_decisions_per_second_beside_its_naive_baseline_and_at_2000_reps():
    result = figures(bench("engine", "--leads", "300", "--naive-leads", "5", "--large-leads", "50"))
    assert result["decisions_per_s"] > 0 and result["p99_us"] > 0 and result["naive"]["decisions_per_s"] > 0
    assert result["large"]["rules"] == 200 and result["large"]["reps"] == 2000 and result["large"]["decisions_per_s"] > 0


def test_a_benchmark_that_cannot_run_says_why_in_one_line():
    done = bench("ingest", "--seconds", "1", env={"LEADROUTER_BENCH_POSTGRES_URL": "postgresql://x@127.0.0.1:9/x"},
                 check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: LEADROUTER_BENCH_POSTGRES_URL"), done.stderr
    assert bench("scale", "--workers", "0", check=False).returncode == 2
