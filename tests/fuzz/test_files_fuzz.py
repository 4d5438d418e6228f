"""The routing-config and connections files as an admin hands them to the commands — bytes on
disk, in any encoding, with a byte-order mark, NUL bytes or invalid UTF-8 — fuzzed through the
command line (``python app.py rules validate FILE``, ``rules import FILE``, and
``LEADROUTER_ROUTING_CONFIG`` / ``LEADROUTER_CONNECTIONS_FILE`` read at start-up): every run
ends with exit 0 or one error naming the problems (exit 1 or 2), never a traceback. The parsers' text-level contracts are
fuzzed in ``test_parsers_fuzz.py``; this covers what reaches them from a file."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import EXAMPLES, FUZZ
from tests.fuzz.tally import PARSED
from tests.fuzz.test_parsers_fuzz import connection_files, routing_texts
from tests.support.apps import TEST_KEYS

BOM = b"\xef\xbb\xbf"


def as_files(texts) -> st.SearchStrategy[bytes]:
    return st.one_of(texts.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=300),
                     texts.map(lambda t: t.encode("utf-16")), texts.map(lambda t: BOM + t.encode("utf-8", "replace")),
                     st.builds(lambda t, junk: t.encode("utf-8", "replace") + junk, texts,
                               st.binary(min_size=1, max_size=8)))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """``python app.py ARGS`` in this process (click's runner), on a migrated SQLite database."""
    from app import cli
    from connector.platform.db import upgrade

    folder = tmp_path_factory.mktemp("files")
    database = f"sqlite:///{folder / 'files.db'}"
    upgrade(database)
    base = {"LEADROUTER_DATABASE_URL": database, "LEADROUTER_VAR_DIR": str(folder / "var"), "LEADROUTER_DEMO": "off",
            "LEADROUTER_LOG_LEVEL": "WARNING", **TEST_KEYS}

    def invoke(args: list[str], **env: str):
        result = CliRunner().invoke(cli, args, env={**base, **env}, catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            f"{args} raised {result.exception!r}\n{result.output[-2000:]}"
        assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output, result.output[-2000:]
        if result.exit_code:
            assert result.output.strip(), "a failing command says why"
        return result

    return invoke, folder


def _write(folder, name: str, data: bytes):
    path = folder / name
    path.write_bytes(data)
    return path


@FUZZ
@given(data=as_files(routing_texts))
@example(data=b"version: 1\nreps: [\xff\xfe]\n")
@example(data="version: 1".encode("utf-16"))
def test_routing_config_files_through_rules_validate(run, data):
    invoke, folder = run
    result = invoke(["rules", "validate", str(_write(folder, "routing.yaml", data))])
    PARSED[("routing_config_files", f"exit {result.exit_code}")] += 1


@settings(FUZZ, max_examples=min(EXAMPLES, 30))   # each example starts the app
@given(data=as_files(routing_texts))
@example(data=b"version: 1\nreps: [\xff\xfe]\n")
def test_routing_config_files_imported_and_read_at_start_up(run, data):
    invoke, folder = run
    imported = invoke(["rules", "import", str(_write(folder, "import.yaml", data))])
    PARSED[("routing_config_import", f"exit {imported.exit_code}")] += 1
    result = invoke(["rules", "export"], LEADROUTER_ROUTING_CONFIG=str(_write(folder, "start.yaml", data)))
    PARSED[("routing_config_at_start", f"exit {result.exit_code}")] += 1


@settings(FUZZ, max_examples=min(EXAMPLES, 30))
@given(data=as_files(connection_files))
@example(data=b"connections:\n  - {name: a, kind: hub\xffspot}\n")
def test_connections_files_read_at_start_up(run, data):
    invoke, folder = run
    result = invoke(["rules", "export"], LEADROUTER_CONNECTIONS_FILE=str(_write(folder, "connections.yaml", data)),
                    FUZZ_TOKEN="pat-fuzz")
    PARSED[("connections_file_at_start", f"exit {result.exit_code}")] += 1
