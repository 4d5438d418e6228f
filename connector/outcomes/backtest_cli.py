"""`python app.py backtest --config draft.yaml --since 30d [--format table|json]`: the stored
leads of a period through a draft config, against what happened (``connector.outcomes.backtest``),
with a progress bar on stderr."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from connector.connections.registry import get_connections
from connector.outcomes.backtest import backtest as run_backtest
from connector.outcomes.backtest import parse_since
from connector.platform.cli import ready_app
from connector.platform.db import get_db
from connector.routing.simulate_cli import config_from_file

BAR_FROM = 1000  # leads: a progress bar past this many even when stderr is not a terminal


@click.command("backtest")
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The draft routing config (YAML or JSON).")
@click.option("--since", required=True, help="Start of the period: 30d, 12h or a date (2026-11-01).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json adds one row per lead (decisions).")
@with_appcontext
def backtest(config_path: str, since: str, fmt: str) -> None:
    """Replay the stored leads since SINCE through a draft config, from the routing state as it
    was, and compare with what happened."""
    config = config_from_file(config_path)
    now = datetime.now(timezone.utc)
    try:
        start = parse_since(since, now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    app = ready_app()
    connections = get_connections(app)
    bars: list[tqdm] = []

    def loaded(n: int) -> None:
        bars.append(tqdm(total=n, file=sys.stderr, unit="lead", desc="replaying",
                         disable=not (sys.stderr.isatty() or n >= BAR_FROM)))

    def keys(name: str) -> tuple[str, ...]:
        return connections.owner_keys(name) if name in connections else (name,)

    try:
        report = run_backtest(get_db(app), config, start, now, owner_keys=keys, progress=lambda n: bars[0].update(n),
                              on_loaded=loaded, rows=fmt == "json")
    finally:
        for bar in bars:
            bar.close()
    click.echo(json.dumps(report, ensure_ascii=False) if fmt == "json" else table(report))


def table(report: dict) -> str:
    n = report["leads"]
    state = f"snapshot of {report['state_from'][:16]}" if report["state_from"] else "empty: no snapshot that old"
    lines = [f"backtest: {n} leads from {report['from'][:16]} to {report['until'][:16]} UTC (state: {state})",
             f"decisions changed: {report['changed']} of {n}"
             + (f" ({100 * report['changed'] / n:.1f} %)" if n else ""),
             "statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(report["statuses"].items()))]
    if report["summary_only"]:
        lines.append(f"{report['summary_only']} leads stored before full fields were kept: replayed from their summary")
    waits = report["waits"]
    if waits["leads"]:
        lines.append(f"would have waited: {waits['leads']} leads, median {waits['median_minutes']} min, longest "
                     f"{waits['max_minutes']} min, {waits['unknown']} until capacity frees or a rep is un-paused")
    lines += ["", f"  {'rep':<20} {'draft':>7} {'actual':>7} {'fair':>8} {'cap hits':>9}"]
    lines += [f"  {r['rep']:<20} {r['draft']:>7} {r['actual']:>7} {r['fair']:>8.1f} {r['cap_hits']:>9}"
              for r in report["reps"]]
    lines += [f"  {name:<20} {'':>7} {count:>7}" for name, count in sorted(report["others"].items())]
    for who in ("draft", "actual"):
        found = report["fairness"][who]
        if found:
            lines.append(f"fairness ({who}): spread {found['spread']} leads, Gini {found['gini']}")
    lines += ["", f"  {'rule':<28} {'draft':>7} {'actual':>7}"]
    lines += [f"  {r['rule']:<28} {r['draft']:>7} {r['actual']:>7}" for r in report["rules"]]
    return "\n".join(lines)
