"""``python app.py bench speed_to_lead``: lead created in the CRM -> owner written in the CRM
(the record's own created and last-modified times), p50 / p90 / p99, while every CRM call takes
``--latency-ms`` (the sandbox's latency fault), for leadrouter as one node
(``python app.py run``, SQLite):

- ``burst``: ``--burst`` leads in each CRM at once, through the webhooks / outbound messages;
- ``trickle``: one lead a second in each CRM for ``--trickle-seconds``, the same doors; its p50
  is also given as a multiple of the CRM round trip (measured: a cheap read, median of 20);
- ``polling``: the same trickle on a second installation that has no webhooks and only its
  poller (``LEADROUTER_POLL_INTERVAL_SECONDS`` = ``--poll-seconds``)."""

from __future__ import annotations

import statistics
import time
from contextlib import ExitStack

import click

from bench import postgres
from bench.crm import clients
from bench.report import Progress, emit, latencies_ms, percentiles, workspace
from bench.rig import Sandbox, cli, free_port, product_env, start_node
from bench.traffic import burst, since_now, trickle, wait_routed

VENDORS = ("hubspot", "salesforce")


def _round_trip_ms(apis: dict) -> float:
    samples = []
    for api in apis.values():
        for _ in range(10):
            start = time.perf_counter()
            api.ping()   # one small read
            samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def _install(sandbox, tenant, folder, stack, database: str, **extra) -> str:
    port = free_port()
    url = stack.enter_context(postgres.database(database, folder, tenant.name))
    env = product_env(sandbox, tenant, folder / tenant.name, url, port, **extra)
    cli(["db", "upgrade"], env)
    node = start_node(f"run-{tenant.name}", ["run", "--port", str(port)], env, folder, port)
    stack.callback(node.stop)
    return f"http://127.0.0.1:{port}"


def _speeds(audits: dict, leads: dict, names) -> dict:
    per = {vendor: percentiles(latencies_ms(audits[(name, vendor)].timeline(leads[(name, vendor)])))
           for name in names for vendor in VENDORS}
    every = [ms for name in names for vendor in VENDORS
             for ms in latencies_ms(audits[(name, vendor)].timeline(leads[(name, vendor)]))]
    return {**percentiles(every), **per}


def measure(burst_leads: int = 500, trickle_seconds: int = 60, latency_ms: float = 50,
            poll_seconds: int = 10, database: str = "sqlite") -> tuple[dict, list]:
    progress = Progress("speed_to_lead")
    with workspace("speed_to_lead") as folder, ExitStack() as stack:
        sandbox = Sandbox(folder)
        stack.callback(sandbox.stop)
        hooked, polled = sandbox.default_tenant("webhooks"), sandbox.add_tenant("polled")
        url = _install(sandbox, hooked, folder, stack, database)
        sandbox.aim_webhooks(hooked, f"{url}/webhooks/hubspot/hubspot", f"{url}/webhooks/salesforce/salesforce")
        _install(sandbox, polled, folder, stack, database, LEADROUTER_POLL_INTERVAL_SECONDS=str(poll_seconds))
        for tenant in (hooked, polled):   # the benchmark's own reads never take the product's allowance
            sandbox.lift_limits(tenant)
        sandbox.add_latency(latency_ms)
        audits = {(t.name, vendor): api for t in (hooked, polled) for vendor, api in clients(sandbox, t).items()}
        round_trip = _round_trip_ms(clients(sandbox, hooked))
        progress(f"CRM round trip {round_trip} ms; burst of {burst_leads} leads per CRM")
        since = since_now()
        leads = burst(audits, [(hooked, v) for v in VENDORS], burst_leads, progress)
        wait_routed({k: a for k, a in audits.items() if k[0] == hooked.name}, since, 120 + burst_leads * 0.3,
                    progress)
        result = {"burst": _speeds(audits, leads, [hooked.name])}
        progress(f"burst: p50 {result['burst']['p50_ms']} ms, p99 {result['burst']['p99_ms']} ms")
        since = since_now()
        leads = trickle(sandbox, [(t, v) for t in (hooked, polled) for v in VENDORS], trickle_seconds, progress)
        wait_routed(audits, since, 120 + poll_seconds, progress)
        result["trickle"] = _speeds(audits, leads, [hooked.name])
        result["polling"] = _speeds(audits, leads, [polled.name])
    result["trickle"].update(round_trip_ms=round_trip,
                             p50_round_trips=round(result["trickle"]["p50_ms"] / round_trip, 1))
    result["polling"]["interval_s"] = poll_seconds
    result["settings"] = {"burst_leads_per_crm": burst_leads, "trickle_seconds": trickle_seconds,
                          "latency_ms": latency_ms, "poll_seconds": poll_seconds, "database": database}
    rows = [("phase", "leads", "p50 ms", "p90 ms", "p99 ms", "HubSpot p50", "Salesforce p50")]
    rows += [(phase, r["leads"], r["p50_ms"], r["p90_ms"], r["p99_ms"], r["hubspot"]["p50_ms"],
              r["salesforce"]["p50_ms"]) for phase, r in ((p, result[p]) for p in ("burst", "trickle", "polling"))]
    return result, rows


@click.command("speed_to_lead")
@click.option("--burst", "burst_leads", default=500, show_default=True,
              help="Leads per CRM in the burst (500 in each: a 1,000-lead burst).")
@click.option("--trickle-seconds", default=60, show_default=True, help="Trickle length (one lead a second per CRM).")
@click.option("--latency-ms", default=50.0, show_default=True, help="Latency of every CRM call.")
@click.option("--poll-seconds", default=10, show_default=True, help="The polling installation's poll interval.")
@click.option("--database", type=click.Choice(postgres.DATABASES), default="sqlite", show_default=True,
              help="leadrouter's database (`run` on SQLite is the default install).")
def command(burst_leads: int, trickle_seconds: int, latency_ms: float, poll_seconds: int, database: str) -> None:
    """Lead created -> owner written, p50/p90/p99: burst, trickle (webhooks) and polling."""
    result, rows = measure(burst_leads, trickle_seconds, latency_ms, poll_seconds, database)
    emit(f"Speed to lead: created in the CRM -> owner written (CRM latency {latency_ms:g} ms)", rows, result)
