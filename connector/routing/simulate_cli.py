"""`app.py simulate`: route a CSV of leads through the rules engine, offline.

All I/O lives here (files, CSV, progress bar, the clock for leads without created_at); the
routing itself is ``rules_engine.simulate``, the same pure code the connector runs.
"""
from __future__ import annotations

import csv
import json
import os
import sys
from collections import Counter
from datetime import datetime, timezone
from typing import Iterator

import click
from tqdm import tqdm

from rules_engine import ConfigError, InMemoryState, Status, load_config
from rules_engine import simulate as simulate_leads

LARGE_FILE_BYTES = 1_000_000  # show a progress bar past this size even when not on a TTY
EXIT_BAD_CONFIG = 2


def _read_leads(path: str) -> Iterator[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            # Empty cells are missing values; None keys are cells beyond the header.
            yield {k.strip(): v for k, v in row.items() if k and v not in (None, "")}


def _count_rows(path: str) -> int:
    with open(path, "rb") as fh:
        return max(sum(1 for _ in fh) - 1, 0)


def _table(counts: dict[str, Counter], total: int) -> str:
    lines = [f"leads: {total}"]
    for title, key in (("status", "status"), ("leads per rep", "owner"), ("leads per rule", "rule")):
        lines.append("")
        lines.append(title)
        width = max((len(str(k)) for k in counts[key]), default=4)
        for name, n in sorted(counts[key].items(), key=lambda kv: (-kv[1], str(kv[0]))):
            share = f"{100 * n / total:5.1f}%" if total else ""
            lines.append(f"  {str(name):<{width}}  {n:>7}  {share}")
    return "\n".join(lines)


def config_from_file(path: str):
    """The routing config in ``path``; every problem on stderr, one a line, and exit 2 if any."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        return load_config(text)
    except ConfigError as exc:
        for issue in exc.errors:
            click.echo(str(issue), err=True)
        sys.exit(EXIT_BAD_CONFIG)


@click.command("simulate")
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Routing config (YAML or JSON).")
@click.option("--leads", "leads_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV of leads; header = canonical field names (raw.<Name> for CRM fields).")
@click.option("--state", "state_path", type=click.Path(exists=True, dir_okay=False),
              help='Starting routing state (JSON), e.g. {"reps": {"ana": {"open": 5}}}.')
@click.option("--format", "fmt", type=click.Choice(["jsonl", "table"]), default="jsonl", show_default=True)
@click.option("--priority", is_flag=True, help="Route by priority (score, then age) instead of file order.")
def simulate(config_path: str, leads_path: str, state_path: str | None, fmt: str, priority: bool) -> None:
    """Route each lead of a CSV as the connector would, and print the decisions."""
    config = config_from_file(config_path)
    state = InMemoryState()
    if state_path:
        try:
            with open(state_path, encoding="utf-8") as fh:
                state = InMemoryState.from_json(fh.read())
        except (ValueError, TypeError, AttributeError) as exc:
            raise click.BadParameter(f"not a routing state JSON: {exc}", param_hint="--state") from None

    now = datetime.now(timezone.utc)  # decision time for leads without created_at
    show_bar = sys.stderr.isatty() or os.path.getsize(leads_path) >= LARGE_FILE_BYTES
    bar = tqdm(total=_count_rows(leads_path) if show_bar else None, file=sys.stderr, unit="lead",
               disable=not show_bar, desc="routing")
    counts: dict[str, Counter] = {"status": Counter(), "owner": Counter(), "rule": Counter()}
    total = 0
    out = sys.stdout
    try:
        for _lead, decision in simulate_leads(_read_leads(leads_path), config, state, now=now, priority=priority):
            total += 1
            bar.update(1)
            if fmt == "jsonl":
                out.write(json.dumps(decision.to_dict(), ensure_ascii=False) + "\n")
            counts["status"][decision.status.value] += 1
            if decision.status is Status.ASSIGNED:
                counts["owner"][decision.owner] += 1
                counts["rule"][decision.rule or "(fallback)"] += 1
            else:
                counts["rule"][f"({decision.status.value})"] += 1
    finally:
        bar.close()
    if fmt == "table":
        click.echo(_table(counts, total))
