"""The routing config in force: the active stored version, overlaid with the live roster.

The engine's config is immutable and compiled once. What changes between saves — a rep paused on
the settings page or from Slack, a user deactivated in the CRM — lives in the ``reps`` table and
is overlaid here (``active``, ``paused``), producing a new compiled config only when either the
version or the roster changes. Workers ask for ``current()`` once per batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connector.routing import store as routing_store
from connector.platform.db import Database
from connector.routing.models import Rep
from rules_engine import RoutingConfig, dump_config, load_config

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveConfig:
    config: RoutingConfig
    version: int


class RoutingConfigMissing(Exception):
    """No routing config stored yet: leads wait with this reason until one is imported."""


def roster_overlay(db: Database) -> dict[str, dict[str, bool]]:
    """rep id -> {"active": …, "paused": …} from the roster table (CRM sync + manual pauses)."""
    with db.session() as session:
        return {rep.id: {"active": rep.active, "paused": rep.paused} for rep in session.scalars(select(Rep))}


def apply_overlay(config: RoutingConfig, overlay: dict[str, dict[str, bool]]) -> RoutingConfig:
    """A rep inactive or paused in the roster is inactive or paused in the config too (never the
    reverse: the config can still switch a rep off)."""
    data = dump_config(config)
    changed = False
    for rep in data.get("reps", []):
        live = overlay.get(rep["id"])
        if not live:
            continue
        if not live["active"] and rep.get("active", True):
            rep["active"], changed = False, True
        if live["paused"] and not rep.get("paused", False):
            rep["paused"], changed = True, True
    return load_config(data) if changed else config


class RoutingConfigs:
    """Caches the compiled effective config per (version, roster fingerprint)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._value: ActiveConfig | None = None

    def current(self) -> ActiveConfig:
        row = routing_store.get_version(self.db)
        if row is None:
            raise RoutingConfigMissing("no routing config yet: import one (`python app.py rules import FILE`)")
        overlay = roster_overlay(self.db)
        fingerprint = hashlib.sha1(json.dumps(overlay, sort_keys=True).encode()).hexdigest()
        key = (row.version, fingerprint)
        with self._lock:
            if key != self._key:
                base = load_config(row.body)
                self._value = ActiveConfig(apply_overlay(base, overlay), row.version)
                self._key = key
            return self._value


def import_file_at_start(db: Database, path: Path) -> int | None:
    """LEADROUTER_ROUTING_CONFIG: store the file as a new version when it differs from the active
    one. A bad file raises ``InvalidConfig`` (start-up stops with the engine's errors)."""
    text = routing_store.read_file(path)
    active = routing_store.get_version(db)
    if active is not None and active.body == text:
        return None
    try:
        version = routing_store.save_version(db, text, actor=f"file:{path}", comment="loaded at start",
                                             from_file=True)
    except IntegrityError:   # web and workers starting together: another one stored the same file first
        active = routing_store.get_version(db)
        if active is not None and active.body == text:
            return None
        raise
    log.info("routing config %s stored as version %d", path, version)
    return version
