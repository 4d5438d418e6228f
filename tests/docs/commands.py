"""The commands README and the guides tell a reader to type, found in the Markdown and checked
against the real command line.

Where a command is found: every line of a fenced block (``$ `` prompts, ``\\`` continuations,
``&&`` / ``;`` / ``|`` chains), every inline code span, and the first column of a table whose
first header is "Command" (each code span there is the argument list of ``python app.py``).

How a ``python app.py …`` command is checked (``problems``): each word of its path must be a
subcommand of the click tree in ``app.cli``, each ``--option`` an option of the command it reaches,
and a value written for a choice (``bench engine``, ``--role admin|manager``) one of its choices.
The docs' own notation is read as they write it: ``[optional]`` brackets, placeholders in capitals
or ``<angle brackets>`` (``FILE``, ``<connection>``), ``a|b`` alternatives, ``…``. A ``make …``
command names Makefile targets. The tests then run ``--help`` for every path in a subprocess.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^\s*(```|~~~)")
_SPAN = re.compile(r"`([^`]+)`")
_APP = re.compile(r"(?:^|[\s(])(?:\S*/)?python(?:3(?:\.\d+)?)?\s+app\.py(?=\s|$)(.*)$")
_FLASK = re.compile(r"(?:^|\s)flask\s+--app\s+app(?=\s|$)(.*)$")
_CHAIN = re.compile(r"\s(?:&&|\|\||;|\|)\s")
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
COMPOSE_SERVICES = ("app", "worker", "migrate")   # docker-compose.yml's services built from the image


@dataclass(frozen=True)
class DocCommand:
    where: str            # file:line
    kind: str             # "app" | "make"
    words: tuple[str, ...]

    def __str__(self) -> str:
        prefix = "python app.py" if self.kind == "app" else "make"
        return f"{prefix} {' '.join(self.words)}".strip()


def doc_files(root: Path = ROOT) -> list[Path]:
    """README, CHANGELOG and the other top-level guides, and everything under docs/."""
    return sorted(root.glob("*.md")) + sorted((root / "docs").rglob("*.md"))


def _words(text: str) -> list[str]:
    text = text.replace("\\|", "|").replace("[", " ").replace("]", " ")
    try:
        words = shlex.split(text, comments=True)
    except ValueError:   # an unbalanced quote in prose: take the words as they stand
        words = text.split()
    return [w for w in words if w not in ("...", "…")]


def commands_in_text(text: str, where: str, *, bare_app_args: bool = False) -> list[DocCommand]:
    """The commands in one command line (or code span). ``bare_app_args``: the text is the
    argument list of ``python app.py`` (a "Command" table cell)."""
    found = []
    for part in _CHAIN.split(" " + text.strip() + " "):
        part = part.strip()
        match = _APP.search(part) or _FLASK.search(part)
        if match:
            found.append(DocCommand(where, "app", tuple(_words(match.group(1)))))
            continue
        words = _words(part)
        while words and (_ENV_ASSIGNMENT.match(words[0]) or words[0] == "sudo"):
            words.pop(0)
        in_image = _docker_run_args(words)
        if in_image is not None:
            found.append(DocCommand(where, "app", tuple(in_image)))
        elif len(words) > 1 and words[0] == "make":
            found.append(DocCommand(where, "make", tuple(w for w in words[1:] if not w.startswith("-"))))
        elif bare_app_args and words and not words[0].startswith(("$", "/")):
            found.append(DocCommand(where, "app", tuple(_words(part))))
    return found


def _docker_run_args(words: list[str]) -> list[str] | None:
    """``docker compose run --rm app ARGS`` / ``docker run --rm leadrouter ARGS``: the image's
    entry point is ``python app.py``, so ARGS are its arguments."""
    if words[:1] not in (["docker"], ["docker-compose"]) or "run" not in words:
        return None
    after = words[words.index("run") + 1:]
    for i, word in enumerate(after):
        if word in COMPOSE_SERVICES or word.split(":")[0] == "leadrouter":
            return after[i + 1:]
    return None


def _fenced_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, command line) for every line inside fenced blocks, continuations joined."""
    out, inside, pending, start = [], False, "", 0
    for number, line in enumerate(lines, 1):
        if _FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            continue
        text = line.strip()
        if text.startswith("$ "):
            text = text[2:]
        if not pending:
            start = number
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        out.append((start, pending + text))
        pending = ""
    return out


def _is_separator(line: str) -> bool:
    return bool(re.fullmatch(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*", line))


def commands_in_markdown(text: str, name: str) -> list[DocCommand]:
    lines = text.splitlines()
    found = [c for number, line in _fenced_lines(lines) for c in commands_in_text(line, f"{name}:{number}")]
    inside, command_table = False, False
    for number, line in enumerate(lines, 1):
        if _FENCE.match(line):
            inside = not inside
            continue
        if inside:
            continue
        where = f"{name}:{number}"
        cells = [c.strip() for c in _CELL_SPLIT.split(line.strip().strip("|"))] if line.lstrip().startswith("|") else []
        if not cells:
            command_table = False
        elif number < len(lines) and _is_separator(lines[number]):
            command_table = cells[0].lower() == "command"
            continue
        if command_table and cells and not _is_separator(line):
            for span in _SPAN.findall(cells[0]):
                found += commands_in_text(span, where, bare_app_args=True)
            rest = " | ".join(cells[1:])
        else:
            rest = line
        for span in _SPAN.findall(rest):
            found += commands_in_text(span, where)
    return found


def variants(command: DocCommand) -> list[DocCommand]:
    """``rules import|export FILE`` is two commands; ``bench engine|all`` two values."""
    out = [()]
    for word in command.words:
        choices = word.split("|") if "|" in word and not word.startswith("-") else [word]
        out = [done + (choice,) for done in out for choice in choices if choice]
    return [DocCommand(command.where, command.kind, words) for words in out]


def all_commands(root: Path = ROOT) -> list[DocCommand]:
    found = []
    for path in doc_files(root):
        found += commands_in_markdown(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    return [variant for command in found for variant in variants(command)]


# -- checking against the click tree ------------------------------------------------------------
def is_placeholder(word: str) -> bool:
    bare = word.strip("<>").replace("-", "_")
    return word.startswith("<") or (bare[:1].isalpha() and bare.upper() == bare and bare.isidentifier())


def _choice_problems(param: click.Parameter, value: str, what: str) -> list[str]:
    if not isinstance(param.type, click.Choice) or is_placeholder(value):
        return []
    return [f"{what}: {alt!r} is not one of {list(param.type.choices)}" for alt in value.split("|")
            if alt not in param.type.choices]


def app_cli() -> click.Group:
    """The command tree ``python app.py`` runs: the root's own options (``--version``) and every
    command, the rooms' included (each room registers its commands on the app in ``init_app``)."""
    import tempfile

    from app import cli, create_app

    app = create_app({"LEADROUTER_VAR_DIR": tempfile.mkdtemp(prefix="leadrouter-docs-")})
    return click.Group(cli.name, commands={**app.cli.commands, **cli.commands}, params=cli.params)


def command_path(root: click.Group, words: tuple[str, ...]) -> tuple[list[str], click.Command, int, list[str]]:
    """(path, the command it reaches, how many words the path used, problems)."""
    command: click.Command = root
    path: list[str] = []
    for word in words:
        if not isinstance(command, click.Group) or word.startswith("-") or is_placeholder(word):
            break
        sub = command.commands.get(word)
        if sub is None:
            where = f"python app.py {' '.join(path)}".strip()
            return path, command, len(path), [f"{word!r} is not a command of `{where}` "
                                              f"(it has: {', '.join(sorted(command.commands))})"]
        path.append(word)
        command = sub
    return path, command, len(path), []


def problems(root: click.Group, words: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(the command path, every way ``python app.py <words>`` does not fit the real CLI)."""
    path, command, used, found = command_path(root, words)
    if found:
        return path, found
    name = f"python app.py {' '.join(path)}".strip()
    options = {opt: p for p in command.params if isinstance(p, click.Option) for opt in p.opts + p.secondary_opts}
    options.update({opt: None for opt in ("-h", "--help")})
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    rest, i, position = list(words[used:]), 0, 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("-") and word != "-":
            option, _, inline = word.partition("=")
            if option not in options:
                found.append(f"`{name}` has no option {option} (it has: {', '.join(sorted(options))})")
            elif (options[option] is not None and not options[option].is_flag and not inline
                  and i + 1 < len(rest) and not rest[i + 1].startswith("-")):
                i += 1
                found += _choice_problems(options[option], rest[i], f"`{name} {option}`")
        elif position < len(arguments):
            found += _choice_problems(arguments[position], word, f"`{name}` {arguments[position].name}")
            position += arguments[position].nargs != -1
        elif not (arguments and arguments[-1].nargs == -1) and not command.allow_extra_args:
            found.append(f"`{name}` takes no further argument {word!r}")
        i += 1
    return path, found
