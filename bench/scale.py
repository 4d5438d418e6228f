"""``python app.py bench scale``: routing throughput with 1, 2 and 4 ``python app.py worker``
processes on PostgreSQL (a fresh database each), beside ``python app.py web``, while every CRM
call takes ``--latency-ms`` (the sandbox's latency fault): the CRM's round trips dominate, so
more workers should route proportionally more.

Each run: ``--leads`` HubSpot contacts exist before the processes start (their poller leaves
them alone: older than the connection); once every worker is up and idle, their contact.creation
webhooks reach the door in requests of 100 events, and the clock runs from that moment to the
last owner written in the CRM (its ``lastmodifieddate``)."""

from __future__ import annotations

import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from bench import hooks, postgres
from bench.calls import CallCounter
from bench.crm import HubSpotApi, chunks
from bench.report import Progress, emit, workspace
from bench.rig import BenchError, Sandbox, cli, free_port, product_env, session, start_node, wait_until
from bench.traffic import since_now, wait_routed

STARTED = re.compile(r"worker \S+ started")


def _profiled(path: Path | None) -> tuple[str, ...]:
    if path is None:
        return (sys.executable,)
    return (sys.executable, "-m", "pyinstrument", "-r", "text", "--no-color", "--no-unicode", "-o", str(path))


def _round(sandbox: Sandbox, pg, tenant, folder, count: int, n_workers: int, batch: int, progress,
           profile: Path | None = None) -> dict:
    api = HubSpotApi(sandbox, tenant)
    since = since_now()
    ids = api.create([f"s{n}w{n_workers}x{int(time.time())}" for n in range(count)])
    with pg.database() as url:
        port = free_port()
        env = product_env(sandbox, tenant, folder / f"workers{n_workers}", url, port,
                          LEADROUTER_WORKER_BATCH_SIZE=str(batch), LEADROUTER_LOG_LEVEL="INFO")
        cli(["db", "upgrade"], env)
        nodes = [start_node(f"web-{n_workers}", ["web", "--port", str(port)], env, folder, port)]
        try:
            nodes += [start_node(f"worker{i}-of-{n_workers}", ["worker"], env, folder,
                                 python=_profiled(profile if i == 0 else None)) for i in range(n_workers)]
            wait_until(lambda: all(n.check_alive() or STARTED.search(n.log()) for n in nodes[1:]), 90,
                       "every worker to start")
            CallCounter(sandbox, {"leadrouter": tenant}).settle("leadrouter")   # start-up syncs done
            progress(f"{n_workers} worker(s) up: sending {count} contact.creation events")
            http, base = session(), f"http://127.0.0.1:{port}"
            started = datetime.now(UTC)
            for n, part in enumerate(chunks(ids, 100)):
                body, headers = hooks.signed(base, tenant.app_secret,
                                             hooks.creation_events(part, tenant.portal_id, 10**6 * n_workers + n * 100))
                answer = http.post(base + hooks.PATH, data=body, headers=headers, timeout=30)
                if answer.status_code != 200:
                    raise BenchError(f"the door answered {answer.status_code}: {answer.text[:200]}")
            wait_routed({("leadrouter", "hubspot"): api}, since, 300, progress)
            for node in nodes:
                node.check_alive()
        finally:
            for node in nodes:
                node.stop()
    last = max(written for _, written, owner in api.timeline(ids).values())
    seconds = (last - started).total_seconds()
    progress(f"{n_workers} worker(s): {count} leads in {seconds:.2f} s")
    return {"leads": count, "seconds": round(seconds, 3), "leads_per_s": round(count / seconds, 1)}


def measure(leads: int = 1000, latency_ms: float = 100, workers: tuple[int, ...] = (1, 2, 4),
            batch: int = 100, profile: Path | None = None) -> tuple[dict, list]:
    progress = Progress("scale")
    with workspace("scale") as folder, postgres.server() as pg:
        sandbox = Sandbox(folder)
        try:
            tenant = sandbox.default_tenant("leadrouter")
            sandbox.lift_limits(tenant)
            sandbox.add_latency(latency_ms)
            runs = {str(k): _round(sandbox, pg, tenant, folder, leads, k, batch, progress,
                                   profile if k == workers[0] else None) for k in workers}
        finally:
            sandbox.stop()
    first = runs[str(workers[0])]["leads_per_s"]
    result = {"leads_per_s": {k: r["leads_per_s"] for k, r in runs.items()}, "runs": runs,
              "settings": {"leads": leads, "latency_ms": latency_ms, "batch_size": batch, "crm": "hubspot"}}
    for k in workers[1:]:
        result[f"speedup_{k}"] = round(runs[str(k)]["leads_per_s"] / first, 2)
    rows = [("workers", "leads", "seconds", "leads/s", "speed-up")]
    rows += [(k, r["leads"], r["seconds"], r["leads_per_s"], round(r["leads_per_s"] / first, 2)) for k, r in runs.items()]
    return result, rows


def _workers(value: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter("a comma-separated list of worker counts, e.g. 1,2,4") from None
    if not counts or min(counts) < 1:
        raise click.BadParameter("every worker count must be 1 or more")
    return counts


@click.command("scale")
@click.option("--leads", default=1000, show_default=True, help="Leads routed in each run.")
@click.option("--latency-ms", default=100.0, show_default=True, help="Latency of every CRM call.")
@click.option("--workers", "workers", default="1,2,4", show_default=True, help="Worker processes per run.")
@click.option("--batch", default=100, show_default=True, help="LEADROUTER_WORKER_BATCH_SIZE.")
@click.option("--profile", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a pyinstrument profile of the first run's first worker to this file.")
def command(leads: int, latency_ms: float, workers: str, batch: int, profile: Path | None) -> None:
    """Routing throughput with 1, 2 and 4 worker processes on PostgreSQL, CRM latency dominating."""
    result, rows = measure(leads, latency_ms, _workers(workers), batch, profile and profile.resolve())
    emit(f"Routing throughput on PostgreSQL (CRM latency {latency_ms:g} ms)", rows, result)
