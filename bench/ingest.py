"""``python app.py bench ingest``: webhook events the HubSpot door accepts per second, and its p99
answer time, with ``--clients`` concurrent clients. The app runs as in production
(``python app.py web``: gunicorn, ``--web-workers`` processes of ``--threads`` threads, on a fresh
PostgreSQL database); the load comes from another process (``python -m bench.load``), bounded by
``--seconds``. Two passes: requests of ``--events`` events (HubSpot batches up to 100 a request)
and single-event requests. Every accepted event must be in the inbox afterwards."""

from __future__ import annotations

import json
import subprocess
import sys

import click

from bench import postgres
from bench.report import Progress, emit, percentiles, workspace
from bench.rig import REPO, BenchError, cli, free_port, node_env, start_node

SECRET, PORTAL = "bench-app-secret", 62000001


def _load(url: str, clients: int, seconds: float, events: int, first_id: int) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.load", "--url", url, "--secret", SECRET,
                           "--portal-id", str(PORTAL), "--clients", str(clients), "--seconds", str(seconds),
                           "--events", str(events), "--first-id", str(first_id)],
                          check=False, cwd=REPO, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise BenchError(f"the load process failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _figures(load: dict, stored: int) -> dict:
    speed = percentiles(load["latencies_ms"])
    return {"events_per_s": round(load["accepted_events"] / load["seconds"]),
            "requests_per_s": round(load["accepted_requests"] / load["seconds"]),
            "p50_ms": speed["p50_ms"], "p99_ms": speed["p99_ms"], "events_per_request": load["events_per_request"],
            "requests": load["requests"], "accepted_events": load["accepted_events"], "stored_events": stored,
            "statuses": load["statuses"], "seconds": load["seconds"]}


def measure(clients: int = 16, seconds: float = 15, events: int = 10, web_workers: int = 2,
            threads: int = 4) -> tuple[dict, list]:
    progress = Progress("ingest")
    passes: dict[str, dict] = {}
    with workspace("ingest") as folder, postgres.server() as pg, pg.database() as url:
        port = free_port()
        env = node_env(folder / "product", url, port, LEADROUTER_HUBSPOT_TOKEN="bench-token",
                       LEADROUTER_HUBSPOT_APP_SECRET=SECRET, LEADROUTER_HUBSPOT_PORTAL_ID=str(PORTAL),
                       LEADROUTER_HUBSPOT_BASE_URL="https://127.0.0.1:9")   # the door never calls the CRM
        cli(["db", "upgrade"], env)
        web = start_node("web", ["web", "--port", str(port), "--workers", str(web_workers), "--threads",
                                 str(threads)], env, folder, port)
        base, first, stored = f"http://127.0.0.1:{port}", 1, 0
        try:
            _load(base, clients, 2, events, 10**9)   # warm-up: every process and pool awake
            stored = pg.count(url, "SELECT count(*) FROM inbox_events")
            for name, per in (("batched", events), ("single", 1)):
                progress(f"{name}: {clients} clients, {per} event(s) a request, {seconds:g} s")
                load = _load(base, clients, seconds, per, first)
                first += load["requests"] * per + 1
                now = pg.count(url, "SELECT count(*) FROM inbox_events")
                passes[name], stored = _figures(load, now - stored), now
                progress(f"{name}: {passes[name]['events_per_s']} events/s, p99 {passes[name]['p99_ms']} ms")
            web.check_alive()
        finally:
            web.stop()
    for name, figures in passes.items():
        if figures["stored_events"] != figures["accepted_events"]:
            raise BenchError(f"{name}: the door accepted {figures['accepted_events']} events but the inbox "
                             f"holds {figures['stored_events']}")
    batched = passes["batched"]
    result = {"events_per_s": batched["events_per_s"], "p99_ms": batched["p99_ms"], **passes,
              "settings": {"clients": clients, "seconds": seconds, "web_workers": web_workers, "threads": threads}}
    rows = [("requests of", "events/s", "requests/s", "p50 ms", "p99 ms", "stored events")]
    rows += [(f"{f['events_per_request']} event(s)", f["events_per_s"], f["requests_per_s"], f["p50_ms"],
              f["p99_ms"], f["stored_events"]) for f in passes.values()]
    return result, rows


@click.command("ingest")
@click.option("--clients", default=16, show_default=True, help="Concurrent clients (one connection each).")
@click.option("--seconds", default=15.0, show_default=True, help="Length of each pass.")
@click.option("--events", default=10, show_default=True, help="Events per request in the batched pass.")
@click.option("--web-workers", default=2, show_default=True, help="gunicorn processes (`web --workers`).")
@click.option("--threads", default=4, show_default=True, help="Threads per gunicorn process.")
def command(clients: int, seconds: float, events: int, web_workers: int, threads: int) -> None:
    """Webhook events accepted per second by `python app.py web`, and the p99 answer time."""
    result, rows = measure(clients, seconds, events, web_workers, threads)
    emit("Webhook ingest (HubSpot door, `python app.py web` on PostgreSQL)", rows, result)
