"""Every command README and the guides show is a real command: its path, its options and the
values it picks fit the CLI, and `python app.py <path> --help` answers in a real process; every
`make` target they name exists. A guide can never name a command that is not there."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.docs.commands import ROOT, all_commands, app_cli, commands_in_markdown, problems, variants

COMMANDS = all_commands()


def _cli():
    return app_cli()


def test_the_docs_show_commands_at_all():
    # The extractor must see the README's own commands table and set-up lines, or it checks nothing.
    shown = {str(c) for c in COMMANDS}
    assert {"make run", "make test", "python app.py db upgrade", "python app.py worker --once"} <= shown
    assert any(c.where.startswith("docs/") for c in COMMANDS)


def test_every_app_command_in_the_docs_fits_the_cli():
    cli = _cli()
    wrong = [f"{c.where}: `{c}`: {p}" for c in COMMANDS if c.kind == "app" for p in problems(cli, c.words)[1]]
    assert not wrong, "commands in the docs that the CLI does not have:\n" + "\n".join(wrong)


# One fresh interpreter asks the CLI for each path's --help (one process per path took over a
# minute on the shared machine): the same `cli` object `python app.py` runs, outside the test process.
_HELP_ALL = """
import json, sys
from click.testing import CliRunner
from app import cli
answers = {}
for path in json.loads(sys.argv[1]):
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="app.py")
    answers[" ".join(path)] = [result.exit_code, "Usage: app.py" in result.output, result.output[-1500:]]
print(json.dumps(answers))
"""


def test_every_command_path_in_the_docs_answers_help_in_a_real_process():
    cli = _cli()
    paths = sorted({tuple(problems(cli, c.words)[0]) for c in COMMANDS if c.kind == "app"})
    done = subprocess.run([sys.executable, "-c", _HELP_ALL, json.dumps(paths)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    failed = [f"python app.py {path} --help: exit {code}\n{output}" for path, (code, usage, output) in answers.items()
              if code != 0 or not usage]
    assert not failed, "\n".join(failed)
    assert len(paths) >= 15   # run, web, worker, db upgrade, rules import, …: the docs name them all


def test_the_entry_point_answers_help_and_lists_every_command():
    done = subprocess.run([sys.executable, "app.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Usage: app.py" in done.stdout
    assert all(f"  {name} " in done.stdout for name in _cli().commands)


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
    ("python app.py bench engine|speed", "'speed' is not a command of `python app.py bench`"),
    ("python app.py users create EMAIL --role owner", "'owner' is not one of"),
    ("python app.py worker now", "takes no further argument 'now'"),
])
def test_the_checker_refuses_what_the_cli_does_not_have(line, expected):
    command = commands_in_markdown(f"```sh\n{line}\n```\n", "x.md")
    found = [p for c in command for v in variants(c) for p in problems(_cli(), v.words)[1]]
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

