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


def burst(apis: dict, targets: list[Target], count: int, progress: Callable[[str], None]) -> dict:
    """``count`` leads in each target at once, through the CRMs' batch create calls (the
    benchmark's own calls, counted as nobody's), every target at the same time;
    {(tenant name, vendor): [ids]}."""
    def create(target: Target) -> list[str]:
        tenant, vendor = target
        return apis[(tenant.name, vendor)].create([_tag("b", tenant, vendor, n) for n in range(count)])

    with ThreadPoolExecutor(len(targets)) as pool:
        made = dict(zip([(t.name, v) for t, v in targets], pool.map(create, targets)))
    progress(f"burst: {sum(len(ids) for ids in made.values())} leads created")
    return made


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

