"""The command line as an admin runs it: ``python app.py ...`` (or ``flask --app app ...``) in a
process of its own, in the checkout (``ROOT``), with nothing of the test's environment but PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, tmp_path: Path, flask: bool = False, **env: str) -> subprocess.CompletedProcess:
    """``args`` run to their end; files under ``tmp_path`` (LEADROUTER_VAR_DIR), ``env`` on top."""
    environment = {"PATH": os.environ["PATH"], "LEADROUTER_VAR_DIR": str(tmp_path), "LEADROUTER_LOG_LEVEL": "WARNING",
                   **env}
    argv = [sys.executable, "-m", "flask", "--app", "app", *args] if flask else [sys.executable, "app.py", *args]
    return subprocess.run(argv, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
