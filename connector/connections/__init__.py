"""The connections room: every CRM connection (file, environment, page, API), the adapters built
from them, their test, and their health (see docs/ARCHITECTURE.md)."""

from __future__ import annotations

from functools import partial

from flask import Flask

from connector.connections import cli, health, service
from connector.connections.registry import Connections, configured, set_connections
from connector.platform.cli import on_ready
from connector.platform.db import get_db
from connector.platform.keys import secret_box


def init_app(app: Flask) -> None:
    """The connections from the file and the environment, then the page's (read again every few
    seconds), each given its row at start-up; ``/healthz``, ``/readyz`` and the health job;
    ``connections test``. A bad connections file raises ``ConnectionsFileError`` with every
    problem."""
    settings = app.config["LEADROUTER_SETTINGS"]
    set_connections(app, Connections(configured(settings), partial(service.specs, get_db(app), secret_box(app))))
    on_ready(app, service.record_connections)
    health.init_app(app)
    app.cli.add_command(cli.connections)
