"""leadrouter: the application factory and the command line.

    python app.py run            web + scheduler + worker in one process (http://127.0.0.1:8000)
    python app.py --help         every command

The same commands are reachable as ``flask --app app COMMAND``. Each room registers its own
commands in its ``init_app`` (docs/ARCHITECTURE.md); only ``run``, ``bench`` (from bench/) and
the migrations (which must work when the app cannot start) are added here.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

import webhooks
from bench.cli import bench
from connector import connections, demo, notify, outcomes, pipeline, platform, routing, web
from connector.connections.registry import ConnectionsFileError
from connector.pipeline import jobs
from connector.platform import VERSION
from connector.platform import cli as platform_cli
from connector.platform.scheduler import get_scheduler
from connector.platform.settings import SettingsError
from connector.web import home

log = logging.getLogger("leadrouter")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` keys named ``LEADROUTER_*`` override settings (as the environment
    would); every other key goes to ``app.config`` (e.g. ``TESTING``)."""
    app = Flask(__name__)
    platform.init_app(app, config)
    for room in (connections, routing, pipeline, outcomes, notify, web, webhooks, demo):
        room.init_app(app)
    for command in (run, bench):   # also under `flask --app app` (whose own `run` wins there)
        app.cli.add_command(command)
    return app


def _cli_app() -> Flask:
    """The app for a command: a settings problem is one line (exit 1); a bad connections file is
    every problem with its path (exit 2)."""
    try:
        return create_app()
    except SettingsError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except ConnectionsFileError as exc:
        click.echo(f"Error: {exc.path} is not a valid connections file:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)


cli = FlaskGroup(name="leadrouter", help="leadrouter: routes new CRM leads to the right sales rep and explains why.",
                 create_app=_cli_app, add_default_commands=False, add_version_option=False, load_dotenv=False,
                 set_debug_flag=False, context_settings={"help_option_names": ["-h", "--help"]})
# The app is this module's factory: FlaskGroup's --app, --env-file and --debug do not apply.
cli.params = [param for param in cli.params if param.name not in ("app", "env_file", "debug")]
click.version_option(VERSION, "--version", prog_name="leadrouter", message="%(prog)s %(version)s")(cli)
cli.add_command(platform_cli.db)   # migrating never needs the app: a bad connections file must not stop it
cli.add_command(bench)             # bench/ holds its commands (each imported when it runs)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Serve the web app with the scheduler and worker in one process."""
    from werkzeug.serving import make_server

    app = platform_cli.ready_app()
    settings = app.config["LEADROUTER_SETTINGS"]
    app.config["LEADROUTER_START_BACKGROUND"] = True
    demo_crm = demo.start_demo_crm(app)
    if demo_crm is not None:
        demo.attach_demo(app, demo_crm, f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}")
    sched = get_scheduler(app)
    sched.start()
    stop_worker = threading.Event()
    worker_thread = threading.Thread(target=jobs.work_forever, args=(app, stop_worker), name="worker", daemon=True)
    worker_thread.start()
    server = make_server(host, port, app, threaded=True)
    # SIGTERM (systemd, containers) ends serve_forever like Ctrl-C: jobs stop, the log says so.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("leadrouter serving on http://%s:%d (database: %s)", host, port,
             settings.database_url.split(":", 1)[0])
    for number, step in enumerate(home.next_steps(settings, demo_crm is not None, home.has_rules()), 1):
        log.info("next step %d: %s", number, step)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop_worker.set()
        worker_thread.join(timeout=10)
        sched.shutdown()
        if demo_crm is not None:
            demo_crm.stop()
        log.info("leadrouter stopped")


if __name__ == "__main__":
    cli()
