"""The platform room: settings, the database and its migrations, keys, logs, the scheduler, the
request limits of every door, and the base of the schema. It imports no other connector room
(see docs/ARCHITECTURE.md)."""

from __future__ import annotations

import tomllib
from typing import Any

from flask import Flask

from connector.platform import cli, db, keys, logs, scheduler
from connector.platform.settings import ENV_PREFIX, ROOT, load_settings

# The version is written in one place, pyproject.toml; `--version` and the page footer show it.
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def init_app(app: Flask, config: dict[str, Any] | None = None) -> None:
    """Settings (``config`` keys named ``LEADROUTER_*`` override them, as the environment would;
    every other key goes to ``app.config``), logs with every secret masked, the keys, the
    database, the scheduler and the ``db`` commands."""
    config = dict(config or {})
    overrides = {key[len(ENV_PREFIX):].lower(): config.pop(key) for key in list(config)
                 if key.startswith(ENV_PREFIX)}
    settings = load_settings(overrides)
    logs.configure(settings.log_level, settings.log_format.value, secrets=settings.secret_values())
    secret_key, encryption_key = keys.ensure_keys(
        settings.var_dir,
        settings.secret_key.get_secret_value() if settings.secret_key else None,
        settings.encryption_key.get_secret_value() if settings.encryption_key else None,
    )
    app.config.update(
        SECRET_KEY=secret_key,
        LEADROUTER_SETTINGS=settings,
        LEADROUTER_START_BACKGROUND=False,
        MAX_CONTENT_LENGTH=1024 * 1024,  # no door needs more than 1 MiB; larger bodies get 413
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        JSON_SORT_KEYS=False,
        LEADROUTER_VERSION=VERSION,
    )
    app.config.update(config)
    keys.init_app(app, encryption_key)
    logs.configure(settings.log_level, settings.log_format.value,
                   secrets=settings.secret_values() + [secret_key, *encryption_key.split(",")])
    for room in (logs, db, scheduler, cli):
        room.init_app(app)
