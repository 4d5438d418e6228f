"""Where the time goes, for the figures that miss their targets (BENCHMARKS.md): a pyinstrument
profile (``requirements-dev.txt``) of the HubSpot door taking signed webhook requests, on a fresh
PostgreSQL database, in this process through the app factory and Flask's test client (gunicorn's
own share is not in it):

    python -m bench.profile door [--requests 300] [--events 10] [-o door.txt]

The worker's profile comes from the real process: ``python app.py bench scale --profile FILE``
runs the first worker of the first run under pyinstrument."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import hooks, postgres
from bench.rig import cli, node_env

SECRET, PORTAL, BASE = "bench-app-secret", 62000001, "http://127.0.0.1:8000"


def door(requests: int, events: int) -> str:
    from pyinstrument import Profiler

    from app import create_app

    with tempfile.TemporaryDirectory(prefix="leadrouter-profile-") as tmp, postgres.server() as pg, \
            pg.database() as url:
        env = node_env(Path(tmp), url, 8000, LEADROUTER_HUBSPOT_TOKEN="bench-token",
                       LEADROUTER_HUBSPOT_APP_SECRET=SECRET, LEADROUTER_HUBSPOT_PORTAL_ID=str(PORTAL),
                       LEADROUTER_HUBSPOT_BASE_URL="https://127.0.0.1:9")
        cli(["db", "upgrade"], env)
        app = create_app({k: v for k, v in env.items() if k.startswith("LEADROUTER_")})
        client = app.test_client()

        def send(n: int) -> None:
            body, headers = hooks.signed(BASE, SECRET, hooks.creation_events(
                list(range(n * events + 1, (n + 1) * events + 1)), PORTAL, n * events + 1))
            answer = client.post(hooks.PATH, data=body, headers=headers)
            assert answer.status_code == 200, answer.get_data(as_text=True)

        for n in range(20):   # warm-up: pools, caches
            send(n)
        profiler = Profiler()
        profiler.start()
        for n in range(20, 20 + requests):
            send(n)
        profiler.stop()
    return profiler.output_text(unicode=False, color=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("what", choices=["door"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--events", type=int, default=10, help="Events per webhook request.")
    parser.add_argument("-o", "--output", type=Path, help="Also write the profile to this file.")
    args = parser.parse_args(argv)
    text = door(args.requests, args.events)
    if args.output:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
