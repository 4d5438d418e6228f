"""Every command README and the guides show is a real command: its path, its options and the
values it picks fit the CLI, and `python app.py <path> --help` answers in a real process; every
`make` target they name exists. A guide can never name a command that is not there."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.docs.commands import ROOT, all_commands, commands_in_markdown, problems, variants

COMMANDS = all_commands()


def _cli():
    from app import cli

    return cli


def test_the_docs_show_commands_at_all():
    # The extractor must see the README's own commands table and set-up lines, or it checks nothing.
    shown = {str(c) for c in COMMANDS}
    assert {"make run", "make test", "python app.py db upgrade", "python app.py worker --once"} <= shown
    assert any(c.where.startswith("docs/") for c in COMMANDS)


def test_every_app_command_in_the_docs_fits_the_cli():
    cli = _cli()
    wrong = [f"{c.where}: `{c}`: {p}" for c in COMMANDS if c.kind == "app" for p in problems(cli, c.words)[1]]
    assert not wrong, "commands in the docs that the CLI does not have:\n" + "\n".join(wrong)


def test_every_command_path_in_the_docs_answers_help_in_a_real_process():
    cli = _cli()
    paths = sorted({tuple(problems(cli, c.words)[0]) for c in COMMANDS if c.kind == "app"})

    def help_of(path: tuple[str, ...]) -> tuple[tuple[str, ...], subprocess.CompletedProcess]:
        return path, subprocess.run([sys.executable, "app.py", *path, "--help"], cwd=ROOT, capture_output=True,
                                    text=True, timeout=120)

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(help_of, paths))
    failed = [f"python app.py {' '.join(path)} --help: exit {done.returncode}\n{done.stderr[-1500:]}"
              for path, done in answers if done.returncode != 0 or "Usage:" not in done.stdout]
    assert not failed, "\n".join(failed)
    assert len(paths) >= 15   # run, web, worker, db upgrade, rules import, …: the docs name them all


def test_every_make_target_in_the_docs_exists():
    targets = sorted({t for c in COMMANDS if c.kind == "make" for t in c.words})
    assert {"run", "test"} <= set(targets)
    for target in targets:
        done = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"make {target} (named in the docs): {done.stderr.strip()}"


# -- the checker itself: it must catch what it is there to catch -------------------------------------------
@pytest.mark.parametrize("line, expected", [
    ("python app.py rules publish FILE", "'publish' is not a command of `python app.py rules`"),
    ("python app.py web --workers 4 --gunicorn-conf x.py", "has no option --gunicorn-conf"),
    ("python app.py bench engine|speed", "'speed' is not one of"),
    ("python app.py users create EMAIL --role owner", "'owner' is not one of"),
    ("python app.py worker now", "takes no further argument 'now'"),
])
def test_the_checker_refuses_what_the_cli_does_not_have(line, expected):
    command = commands_in_markdown(f"```sh\n{line}\n```\n", "x.md")
    found = [p for c in command for p in problems(_cli(), c.words)[1]]
    assert any(expected in p for p in found), found


def test_the_checker_reads_every_place_the_docs_put_commands():
    text = ("Run `python app.py db upgrade` first.\n\n"
            "| Command | What |\n|---|---|\n| `rules validate FILE` / `rules export [-o FILE]` | x |\n"
            "| `bench [engine\\|all]` | y |\n\n"
            "```console\n$ LEADROUTER_DEMO=off .venv/bin/python app.py run \\\n    --port 8001   # a comment\n"
            "PYTEST_ARGS=\"-k engine\" make test && make run\n```\n")
    found = [str(v) for c in commands_in_markdown(text, "x.md") for v in variants(c)]
    assert found == ["python app.py run --port 8001", "make test", "make run", "python app.py db upgrade",
                     "python app.py rules validate FILE", "python app.py rules export -o FILE",
                     "python app.py bench engine", "python app.py bench all"]

