"""``python app.py bench engine``: the rules engine at 20 rules x 200 reps against its naive
baseline (``bench/engine.py``), at 200 rules x 2,000 reps (``bench/engine_scale.py``) and, when
present, lead-to-account matching (``bench/accounts.py``)."""

from __future__ import annotations

import importlib

import click

from bench import engine, engine_scale
from bench.report import emit


def measure(leads: int = 20000, naive_leads: int = 300, large_leads: int = 3000) -> tuple[dict, list]:
    result = engine.main(n_leads=leads, n_naive=naive_leads)
    result["large"] = engine_scale.main(n_leads=large_leads)
    try:
        accounts = importlib.import_module("bench.accounts")
    except ModuleNotFoundError:
        accounts = None
    if accounts is not None and "account_matching" not in result:
        result["account_matching"] = accounts.main()
    large = result["large"]
    rows = [("case", "decisions/s", "p50 us", "p99 us"),
            (f"{result['rules']} rules x {result['reps']} reps", result["decisions_per_s"], result["p50_us"],
             result["p99_us"]),
            ("  with the trace rendered", result["with_trace"]["decisions_per_s"], result["with_trace"]["p50_us"],
             result["with_trace"]["p99_us"]),
            ("  naive baseline", result["naive"]["decisions_per_s"], result["naive"]["p50_us"],
             result["naive"]["p99_us"]),
            (f"{large['rules']} rules x {large['reps']} reps", large["decisions_per_s"], large["p50_us"],
             large["p99_us"])]
    return result, rows


@click.command("engine")
@click.option("--leads", default=20000, show_default=True, help="Leads decided at 20 rules x 200 reps.")
@click.option("--naive-leads", default=300, show_default=True, help="At most this many for the naive baseline.")
@click.option("--large-leads", default=3000, show_default=True, help="Leads decided at 200 rules x 2,000 reps.")
def command(leads: int, naive_leads: int, large_leads: int) -> None:
    """The rules engine: decisions per second and p99, beside a naive baseline; 200 rules x 2,000 reps."""
    result, rows = measure(leads, naive_leads, large_leads)
    emit("Rules engine, one core", rows, result)
