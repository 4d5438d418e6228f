"""``python app.py bench [NAME]``: the benchmarks, each printing a short table and, as its last
line, its figures as one JSON object. ``bench all`` (or ``bench`` alone) runs every one of
them, then prints one JSON object holding all their figures. Sizes are options of each
benchmark (``python app.py bench NAME --help``); progress goes to stderr. BENCHMARKS.md has the
latest figures and how they are measured."""

from __future__ import annotations

import json

import click

from bench import api_cost, backtest, engine_cli, ingest, scale, speed_to_lead
from bench.report import emit
from bench.rig import BenchError

# Each module holds its click ``command`` and ``measure() -> (figures, table rows)``.
BENCHMARKS = {"api_cost": api_cost, "speed_to_lead": speed_to_lead, "ingest": ingest, "scale": scale,
              "engine": engine_cli, "backtest": backtest}


class _Benchmarks(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BenchError as exc:   # one clear line, exit 1, never a traceback
            raise click.ClickException(str(exc)) from None


@click.group("bench", cls=_Benchmarks, invoke_without_command=True)
@click.pass_context
def bench(ctx: click.Context) -> None:
    """Benchmarks (code in bench/, figures in BENCHMARKS.md): api_cost, speed_to_lead, ingest,
    scale, engine, backtest, or all of them."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(run_all)


@bench.command("all")
def run_all() -> None:
    """Every benchmark at its default size, then all their figures as one JSON object."""
    results = {}
    for name, module in BENCHMARKS.items():
        click.echo(f"== bench {name}", err=True)
        result, rows = module.measure()
        emit(f"bench {name}", rows, result)
        results[name] = result
    click.echo(json.dumps(results))


for _module in BENCHMARKS.values():
    bench.add_command(_module.command)
