"""``python app.py bench [NAME]``: the benchmarks, each printing a short table and, as its last
line, its figures as one JSON object. ``bench all`` (or ``bench`` alone) runs every one of
them, then prints one JSON object holding all their figures. Sizes are options of each
benchmark (``python app.py bench NAME --help``); progress goes to stderr."""

from __future__ import annotations

import importlib
import json

import click

# name -> module holding its click ``command`` and ``measure()`` (imported only when used)
BENCHMARKS = {"api_cost": "bench.api_cost", "speed_to_lead": "bench.speed_to_lead", "ingest": "bench.ingest",
              "scale": "bench.scale", "engine": "bench.engine_cli", "backtest": "bench.backtest"}


class _Benchmarks(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*BENCHMARKS, "all"]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "all":
            return run_all
        return importlib.import_module(BENCHMARKS[name]).command if name in BENCHMARKS else None

    def invoke(self, ctx: click.Context):
        from bench.rig import BenchError

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


@click.command("all")
def run_all() -> None:
    """Every benchmark at its default size, then all their figures as one JSON object."""
    from bench.report import emit

    results = {}
    for name, module in BENCHMARKS.items():
        click.echo(f"== bench {name}", err=True)
        result, rows = importlib.import_module(module).measure()
        emit(f"bench {name}", rows, result)
        results[name] = result
    click.echo(json.dumps(results))
