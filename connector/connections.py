"""CRM connections and their adapters.

Connections come from the environment (``LEADROUTER_HUBSPOT_*`` → a connection named
``hubspot``, ``LEADROUTER_SALESFORCE_*`` → ``salesforce``); the settings page adds stored ones
later (``connections`` table, secrets encrypted). Adapters are built once per process and reused.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from adapters import CrmAdapter, CrmError, build_adapter
from connector.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionSpec:
    name: str
    kind: str
    settings: dict[str, Any]
    secrets: dict[str, Any] = field(repr=False)  # never printed
    poll_interval_s: int = 60


def _secret(value) -> str | None:
    return value.get_secret_value() if value is not None else None


def from_settings(settings: Settings) -> list[ConnectionSpec]:
    specs = []
    if settings.hubspot_token:
        options = {"base_url": settings.hubspot_base_url.rstrip("/")}
        if settings.hubspot_ca_bundle:
            options["ca_bundle"] = str(settings.hubspot_ca_bundle)
        if settings.hubspot_portal_id:
            options["portal_id"] = settings.hubspot_portal_id
        specs.append(ConnectionSpec(
            "hubspot", "hubspot", options,
            {"token": _secret(settings.hubspot_token), "app_secret": _secret(settings.hubspot_app_secret)},
            settings.poll_interval_seconds))
    if settings.salesforce_url:
        options = {
            "url": settings.salesforce_url.rstrip("/"), "auth": settings.salesforce_auth_style,
            "client_id": settings.salesforce_client_id, "username": settings.salesforce_username,
            "api_version": settings.salesforce_api_version, "org_id": settings.salesforce_org_id,
            "intake_queues": [settings.salesforce_intake_queue] if settings.salesforce_intake_queue else [],
        }
        if settings.salesforce_ca_bundle:
            options["ca_bundle"] = str(settings.salesforce_ca_bundle)
        if settings.salesforce_jwt_key_file:
            options["jwt_key_file"] = str(settings.salesforce_jwt_key_file)
        specs.append(ConnectionSpec(
            "salesforce", "salesforce", {k: v for k, v in options.items() if v not in (None, [])},
            {"client_secret": _secret(settings.salesforce_client_secret),
             "password": _secret(settings.salesforce_password)},
            settings.poll_interval_seconds))
    return specs


class ConnectionBroken(CrmError):
    """A connection whose adapter cannot be built from its settings (a missing field, a bad
    option). Only that connection stops; the others go on. Not retryable until it is edited."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"connection {name!r} cannot be used: {reason}")
        self.name, self.reason = name, reason


class Connections:
    """The process's connections by name, with lazily built, cached adapters.

    ``loader`` (optional) returns more specs — the ones stored from the settings page — and is
    asked again every ``refresh_seconds``, so a connection added or edited there is used without
    a restart. Environment connections win a name clash."""

    def __init__(self, specs: list[ConnectionSpec], loader: Callable[[], list[ConnectionSpec]] | None = None,
                 refresh_seconds: float = 15.0, **adapter_options: Any) -> None:
        self._fixed = {spec.name: spec for spec in specs}
        self._loader, self._refresh_seconds = loader, refresh_seconds
        self._loaded_at = float("-inf")
        self._specs = dict(self._fixed)
        self._adapters: dict[str, CrmAdapter] = {}
        self._broken: dict[str, str] = {}   # name -> why its adapter cannot be built
        self._lock = threading.Lock()
        self._options = adapter_options

    @property
    def specs(self) -> dict[str, ConnectionSpec]:
        self._refresh()
        return self._specs

    def _refresh(self) -> None:
        if self._loader is None or time.monotonic() - self._loaded_at < self._refresh_seconds:
            return
        with self._lock:
            try:
                stored = self._loader()
            except Exception:  # noqa: BLE001 — an unreadable store must not stop env connections
                log.exception("stored connections could not be loaded; using the environment's")
                stored = []
            merged = {spec.name: spec for spec in stored if spec.name not in self._fixed} | self._fixed
            for name, adapter in list(self._adapters.items()):
                if merged.get(name) != self._specs.get(name):  # removed or edited: rebuild on next use
                    adapter.close()
                    del self._adapters[name]
            for name in list(self._broken):
                if merged.get(name) != self._specs.get(name):  # edited: try again
                    del self._broken[name]
            self._specs, self._loaded_at = merged, time.monotonic()

    def __contains__(self, name: str) -> bool:
        return name in self.specs

    def names(self) -> list[str]:
        return list(self.specs)

    def adapter(self, name: str) -> CrmAdapter:
        """The connection's adapter, built on first use. A connection that cannot be built raises
        ``ConnectionBroken`` (a ``CrmError``: jobs log it and go on with the other connections)
        and keeps the reason for the connections page and ``/readyz``."""
        spec = self.specs[name]
        with self._lock:
            if name in self._broken:
                raise ConnectionBroken(name, self._broken[name])
            if name not in self._adapters:
                try:
                    self._adapters[name] = build_adapter(spec.kind, spec.settings, spec.secrets, **self._options)
                except (ValueError, TypeError, KeyError, OSError) as exc:
                    self._broken[name] = str(exc) or type(exc).__name__
                    log.error("connection %s cannot be used: %s (the other connections go on)",
                              name, self._broken[name])
                    raise ConnectionBroken(name, self._broken[name]) from None
            return self._adapters[name]

    def problems(self) -> dict[str, str]:
        """Why each connection that cannot be used cannot (building every adapter not built yet)."""
        for name in self.names():
            try:
                self.adapter(name)
            except ConnectionBroken:
                pass
        with self._lock:
            return {name: reason for name, reason in self._broken.items() if name in self._specs}

    def close(self) -> None:
        with self._lock:
            for adapter in self._adapters.values():
                adapter.close()
            self._adapters.clear()
