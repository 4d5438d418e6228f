"""A throwaway PostgreSQL cluster from the installed server binaries, for the test suite and CI.

Used by ``tests/conftest.py`` (when ``TEST_DATABASE_URL`` is not set) and by ``.ci/run``
(``python3 -m tests.support.postgres run -- make test``). Standard library only: CI calls it
before the virtualenv exists.

The cluster lives in a temporary directory: trust authentication for ``postgres``, a free port on
127.0.0.1, its socket in that directory, ``fsync=off`` (a test database need not survive a power
cut). ``stop()`` shuts it down and deletes the directory. PostgreSQL refuses to run as root, so
as root the binaries run as the ``postgres`` user (Debian's package creates it) through
``runuser``; otherwise they run as the current user.

pytest-postgresql was considered: it runs ``initdb``/``pg_ctl`` as the current user, which fails
as root (CI and the development machines run as root), so it does not fit here.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.waiting import free_port

INSTALL_HINT = "apt-get install postgresql"
SETTINGS = ("-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200")


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why and how to fix it."""


def find_bindir() -> Path | None:
    """The newest installed server's bin directory (the one holding ``initdb``), or None.
    ``TEST_POSTGRES_BINDIR`` names another one (a tests checks the no-server path with it).

    The client package alone also creates /usr/lib/postgresql/N/bin, without ``initdb``."""
    chosen = os.environ.get("TEST_POSTGRES_BINDIR")
    if chosen:
        return Path(chosen) if (Path(chosen) / "initdb").exists() else None
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    if found:
        return max(found, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)] or [0])
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    """One throwaway cluster; ``start()`` then ``url``, ``stop()`` when done (safe to call twice)."""

    def __init__(self, bindir: Path | None = None) -> None:
        bindir = bindir or find_bindir()
        if bindir is None:
            raise Unavailable(f"no PostgreSQL server binaries (initdb) found: {INSTALL_HINT}")
        self.bindir = bindir
        self.dir: Path | None = None
        self.port: int | None = None
        self.as_user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root and there is no 'postgres' user to run the server as: "
                                  f"{INSTALL_HINT}") from None
            self.as_user = "postgres"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = ""
            if self.dir and (self.dir / "log").exists():
                log = (self.dir / "log").read_text(errors="replace")[-2000:]
            raise Unavailable(f"{argv[0]} failed ({result.returncode}): "
                              f"{(result.stderr or result.stdout).strip()[-2000:]}\n{log}".strip())

    def start(self, attempts: int = 3) -> Cluster:
        self.dir = Path(tempfile.mkdtemp(prefix="leadrouter-pg-"))
        atexit.register(self.stop)
        try:
            if self.as_user:
                shutil.chown(self.dir, self.as_user, self.as_user)
            data = self.dir / "data"
            self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                      "--no-sync", "--no-instructions")
            for attempt in range(attempts):  # another process may take the free port first
                self.port = free_port()
                try:
                    self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "log"), "-w", "-t", "60", "start",
                              "-o", f"-p {self.port} -k {self.dir} {SETTINGS}")
                    break
                except Unavailable:
                    if attempt == attempts - 1:
                        raise
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.dir is None:
            return
        directory, self.dir = self.dir, None
        if (directory / "data" / "postmaster.pid").exists():
            command = [str(self.bindir / "pg_ctl"), "-D", str(directory / "data"), "-m", "immediate", "-w", "stop"]
            if self.as_user:
                command = ["runuser", "-u", self.as_user, "--", *command]
            subprocess.run(command, capture_output=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str]) -> int:
    """``run -- COMMAND...``: start a cluster, run COMMAND with TEST_DATABASE_URL set, stop it."""
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        print("usage: python -m tests.support.postgres run -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    try:
        cluster = Cluster().start()
    except Unavailable as exc:
        print(f"cannot start a throwaway PostgreSQL: {exc}", file=sys.stderr)
        return 1
    # A TERM (CI's timeout) still stops the cluster: turn it into SystemExit so finally runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        print(f"started a throwaway PostgreSQL on port {cluster.port}", file=sys.stderr)
        return subprocess.call(argv[2:], env={**os.environ, "TEST_DATABASE_URL": cluster.url})
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
