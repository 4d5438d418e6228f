"""How every benchmark reports: progress on stderr while it runs, then a short table and, as the
last line of its output, its figures as one JSON object (compared run to run)."""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import click


def percentiles(samples_ms: list[float]) -> dict:
    """Nearest-rank p50 / p90 / p99 in milliseconds."""
    if not samples_ms:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "leads": 0}
    ordered = sorted(samples_ms)

    def rank(p: float) -> float:
        return round(ordered[max(0, -(-len(ordered) * p // 100) - 1)], 1)

    return {"p50_ms": rank(50), "p90_ms": rank(90), "p99_ms": rank(99), "leads": len(ordered)}


def latencies_ms(timeline: dict) -> list[float]:
    """Created -> owner written, per lead a router owns (from ``crm.*.timeline``)."""
    return [(written - created).total_seconds() * 1000 for created, written, owner in timeline.values() if owner]


class Progress:
    def __init__(self, bench: str) -> None:
        self.bench, self.started = bench, time.monotonic()

    def __call__(self, message: str) -> None:
        click.echo(f"[bench {self.bench} {time.monotonic() - self.started:5.1f}s] {message}", err=True)


def table(rows: list[tuple]) -> str:
    """The first row is the header."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def emit(title: str, rows: list[tuple], result: dict) -> None:
    click.echo(f"{title}\n{table(rows)}")
    click.echo(json.dumps(result))


@contextlib.contextmanager
def workspace(bench: str) -> Iterator[Path]:
    """A folder for the run's processes and logs: removed after a good run, kept after a failure."""
    folder = Path(tempfile.mkdtemp(prefix=f"leadrouter-bench-{bench}-"))
    try:
        yield folder
    except BaseException:
        print(f"[bench {bench}] the processes' logs are kept in {folder}", file=sys.stderr)
        raise
    shutil.rmtree(folder, ignore_errors=True)
