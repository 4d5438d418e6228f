"""Leads arriving in the sandbox CRMs the way forms create them: a burst (as fast as the sandbox
takes them) or a trickle (one a second per CRM), and the wait until routers have owned them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bench.rig import BenchError, Sandbox, Tenant

Target = tuple[Tenant, str]   # a tenant and a vendor ("hubspot" / "salesforce")


def _tag(phase: str, tenant: Tenant, vendor: str, n: int) -> str:
    return f"{phase}{n}x{tenant.name}{vendor[:2]}{os.getpid()}{int(time.time()) % 100000}"


def burst(sandbox: Sandbox, targets: list[Target], count: int, progress: Callable[[str], None]) -> dict:
    """``count`` leads in each target, created by 4 threads; {(tenant name, vendor): [ids]}."""
    jobs = [(tenant, vendor, n) for n in range(count) for tenant, vendor in targets]
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda job: sandbox.create_lead(job[0], job[1], _tag("b", *job)), jobs))
    progress(f"burst: {len(ids)} leads created")
    out: dict[tuple[str, str], list[str]] = {}
    for (tenant, vendor, _), lead_id in zip(jobs, ids):
        out.setdefault((tenant.name, vendor), []).append(lead_id)
    return out


def trickle(sandbox: Sandbox, targets: list[Target], seconds: int, progress: Callable[[str], None]) -> dict:
    """One lead a second in each target for ``seconds`` seconds."""
    out: dict[tuple[str, str], list[str]] = {(t.name, v): [] for t, v in targets}
    start = time.monotonic()
    for n in range(seconds):
        time.sleep(max(0.0, start + n - time.monotonic()))
        for tenant, vendor in targets:
            out[(tenant.name, vendor)].append(sandbox.create_lead(tenant, vendor, _tag("t", tenant, vendor, n)))
        if n % 10 == 9:
            progress(f"trickle: {n + 1}/{seconds} s")
    return out


def since_now() -> datetime:
    """A lower bound for the creation time of leads made from now on (CRM times are in ms)."""
    return datetime.now(UTC) - timedelta(seconds=1)


def wait_routed(apis: dict, since: datetime, timeout: float, progress: Callable[[str], None]) -> None:
    """Until no lead created since ``since`` is left without an owner in any of ``apis``."""
    deadline = time.monotonic() + timeout
    last = 0.0
    while True:
        left = {name: api.pending(since) for name, api in apis.items()}
        if not any(left.values()):
            return
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f}s: leads still unowned {left}")
        if time.monotonic() - last > 5:
            progress("waiting for owners: " + ", ".join(f"{'/'.join(k)} {v}" for k, v in left.items() if v))
            last = time.monotonic()
        time.sleep(0.5)

