"""``python app.py bench api_cost``: CRM API calls per routed lead, counted by the sandbox, for a
burst (``--burst`` leads in each CRM at once) and a trickle (one lead a second in each CRM for
``--trickle-seconds``), HubSpot and Salesforce, for leadrouter (``python app.py run``, SQLite,
webhooks) and, in the same run on the same sandbox, a naive connector and a polling router
(``bench/baselines.py``), each on a tenant (portal + org) of its own.

Every call a router makes counts: reads, owner checks, writes, logins, and leadrouter's own
poller and syncs while the phase runs. The sandbox's API limits are lifted, so no router's count
holds retries of 429s."""

from __future__ import annotations

from contextlib import ExitStack

import click

from bench import postgres
from bench.baselines import NaiveConnector, PollingRouter
from bench.calls import CallCounter
from bench.crm import clients
from bench.report import Progress, emit, latencies_ms, percentiles, workspace
from bench.rig import Sandbox, cli, free_port, product_env, start_node
from bench.traffic import burst, since_now, trickle, wait_routed

ROUTERS = ("leadrouter", "naive", "polling")
VENDORS = ("hubspot", "salesforce")


def measure(burst_leads: int = 500, trickle_seconds: int = 60, poll_seconds: float = 20.0,
            database: str = "sqlite") -> tuple[dict, list]:
    progress = Progress("api_cost")
    with workspace("api_cost") as folder, ExitStack() as stack:
        sandbox = Sandbox(folder)
        stack.callback(sandbox.stop)
        tenants = {"leadrouter": sandbox.default_tenant("leadrouter"), "naive": sandbox.add_tenant("naive"),
                   "polling": sandbox.add_tenant("polling")}
        for tenant in tenants.values():
            sandbox.lift_limits(tenant)
        port = free_port()
        url = stack.enter_context(postgres.database(database, folder, "lr"))
        env = product_env(sandbox, tenants["leadrouter"], folder / "product", url, port)
        cli(["db", "upgrade"], env)
        node = start_node("run", ["run", "--port", str(port)], env, folder, port)
        stack.callback(node.stop)
        url = f"http://127.0.0.1:{port}"
        sandbox.aim_webhooks(tenants["leadrouter"], f"{url}/webhooks/hubspot/hubspot",
                             f"{url}/webhooks/salesforce/salesforce")
        naive = NaiveConnector(sandbox, tenants["naive"])
        stack.callback(naive.stop)
        sandbox.aim_webhooks(tenants["naive"], f"{naive.url}/hubspot", f"{naive.url}/salesforce")
        polling = PollingRouter(sandbox, tenants["polling"], poll_seconds)
        stack.callback(polling.stop)
        counter = CallCounter(sandbox, tenants)
        stack.callback(counter.stop)
        counter.settle("leadrouter")   # its start-up syncs are not the phases' calls
        progress(f"leadrouter, naive connector and polling router (every {poll_seconds:g} s) running")
        targets = [(tenant, vendor) for tenant in tenants.values() for vendor in VENDORS]
        audit = {(name, vendor): api for name, tenant in tenants.items()
                 for vendor, api in clients(sandbox, tenant).items()}
        phases = {}
        for phase, make in (("burst", lambda: burst(audit, targets, burst_leads, progress)),
                            ("trickle", lambda: trickle(sandbox, targets, trickle_seconds, progress))):
            before, endpoints, since = counter.snapshot(), counter.endpoint_snapshot(), since_now()
            leads = make()
            wait_routed(audit, since, 120 + poll_seconds + burst_leads * 0.3, progress)   # a loaded machine is slow
            calls = counter.snapshot() - before
            phases[phase] = _figures(leads, calls, audit)
            phases[phase]["leadrouter"]["endpoints"] = {   # where leadrouter's calls went
                path: n for (router, path), n in sorted((counter.endpoint_snapshot() - endpoints).items())
                if router == "leadrouter"}
            progress(f"{phase}: {_line(phases[phase])}")
        node.check_alive()
    result = _result(phases, burst_leads, trickle_seconds, poll_seconds)
    result["settings"]["database"] = database
    return result, _rows(phases)


def _figures(leads: dict, calls, audit: dict) -> dict:
    """Per router and CRM: leads, calls, calls per lead and the median created -> owner written."""
    out: dict[str, dict] = {}
    for router in ROUTERS:
        per: dict[str, dict] = {}
        for vendor in VENDORS:
            ids = leads[(router, vendor)]
            n_calls = calls[(router, vendor)]
            speed = percentiles(latencies_ms(audit[(router, vendor)].timeline(ids)))
            per[vendor] = {"leads": len(ids), "calls": n_calls, "calls_per_lead": round(n_calls / len(ids), 4),
                           "p50_ms": speed["p50_ms"]}
        total_leads = sum(p["leads"] for p in per.values())
        total_calls = sum(p["calls"] for p in per.values())
        out[router] = {**per, "leads": total_leads, "calls": total_calls,
                       "calls_per_lead": round(total_calls / total_leads, 4)}
    return out


def _line(figures: dict) -> str:
    return ", ".join(f"{router} {figures[router]['calls_per_lead']} calls/lead" for router in ROUTERS)


def _result(phases: dict, burst_leads: int, trickle_seconds: int, poll_seconds: float) -> dict:
    result = {}
    for phase, figures in phases.items():
        result[phase] = {"calls_per_lead": figures["leadrouter"]["calls_per_lead"],
                         "naive_calls_per_lead": figures["naive"]["calls_per_lead"],
                         "polling_calls_per_lead": figures["polling"]["calls_per_lead"],
                         "leadrouter_endpoints": figures["leadrouter"]["endpoints"],
                         **{vendor: {router: figures[router][vendor] for router in ROUTERS} for vendor in VENDORS}}
    result["settings"] = {"burst_leads_per_crm": burst_leads, "trickle_seconds": trickle_seconds,
                          "polling_interval_s": poll_seconds}
    return result


def _rows(phases: dict) -> list[tuple]:
    rows = [("phase / CRM", *(f"{r} calls/lead" for r in ROUTERS), *(f"{r} p50 ms" for r in ROUTERS))]
    for phase, figures in phases.items():
        for vendor in VENDORS:
            rows.append((f"{phase} {vendor}", *(figures[r][vendor]["calls_per_lead"] for r in ROUTERS),
                         *(figures[r][vendor]["p50_ms"] for r in ROUTERS)))
    return rows


@click.command("api_cost")
@click.option("--burst", "burst_leads", default=500, show_default=True,
              help="Leads per CRM in the burst (500 in each: a 1,000-lead burst).")
@click.option("--trickle-seconds", default=60, show_default=True, help="Trickle length (one lead a second per CRM).")
@click.option("--poll-seconds", default=20.0, show_default=True, help="The polling router's interval.")
@click.option("--database", type=click.Choice(postgres.DATABASES), default="sqlite", show_default=True,
              help="leadrouter's database (`run` on SQLite is the default install).")
def command(burst_leads: int, trickle_seconds: int, poll_seconds: float, database: str) -> None:
    """CRM API calls per routed lead: leadrouter, a naive connector, a polling router."""
    result, rows = measure(burst_leads, trickle_seconds, poll_seconds, database)
    emit("CRM API calls per routed lead (counted by the sandbox)", rows, result)
