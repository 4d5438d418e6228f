"""CRM connections and their adapters.

Every connection is one typed model (``adapters.specs``: ``HubSpotConnection``,
``SalesforceConnection``), whichever of the three sources it comes from:

- the connections file, ``LEADROUTER_CONNECTIONS_FILE`` (YAML; secrets as ``${ENV}`` references);
- the shorthand variables ``LEADROUTER_HUBSPOT_*`` (a connection named ``hubspot``) and
  ``LEADROUTER_SALESFORCE_*`` (``salesforce``);
- the settings page (``connections`` table, secrets encrypted), read again every few seconds.

The file and the variables win a name clash with a stored connection. Adapters are built once
per process and reused; a connection that cannot be built fails alone (``ConnectionBroken``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Union

import yaml
from flask import Flask, current_app
from pydantic import ValidationError

from adapters import CrmAdapter, CrmError, build_adapter
from adapters.specs import CrmKind, HubSpotConnection, SalesforceConnection, parse_spec, problems
from connector.platform.settings import Settings

log = logging.getLogger(__name__)

Spec = Union[HubSpotConnection, SalesforceConnection]


@dataclass(frozen=True)
class BrokenSpec:
    """A stored connection whose row no longer makes a valid connection: it fails alone."""

    name: str
    kind: str
    reason: str
    enabled: bool = True
    poll_interval_seconds: int = 60


def _secret(value) -> str | None:
    return value.get_secret_value() if value is not None else None


def from_settings(settings: Settings) -> list[Spec]:
    """The shorthand variables: at most one HubSpot and one Salesforce connection."""
    specs: list[Spec] = []
    if settings.hubspot_token:
        specs.append(HubSpotConnection(
            name="hubspot", token=_secret(settings.hubspot_token), app_secret=_secret(settings.hubspot_app_secret),
            base_url=settings.hubspot_base_url, portal_id=settings.hubspot_portal_id,
            ca_bundle=settings.hubspot_ca_bundle, poll_interval_seconds=settings.poll_interval_seconds))
    if settings.salesforce_url:
        specs.append(SalesforceConnection(
            name="salesforce", url=settings.salesforce_url, client_id=settings.salesforce_client_id,
            client_secret=_secret(settings.salesforce_client_secret), username=settings.salesforce_username,
            password=_secret(settings.salesforce_password), jwt_key_file=settings.salesforce_jwt_key_file,
            api_version=settings.salesforce_api_version, org_id=settings.salesforce_org_id,
            intake_queues=[settings.salesforce_intake_queue] if settings.salesforce_intake_queue else [],
            ca_bundle=settings.salesforce_ca_bundle, poll_interval_seconds=settings.poll_interval_seconds))
    return specs


class ConnectionsFileError(Exception):
    """A connections file that cannot be used; ``problems`` lists each with its path."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path, self.problems = path, problems


_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def load_file(path: Path, environ: Mapping[str, str] | None = None) -> list[Spec]:
    """The connections of ``LEADROUTER_CONNECTIONS_FILE``. Secrets must be ``${VAR}`` references
    (never inline), resolved from ``environ``. Every problem is collected with its path."""
    environ = os.environ if environ is None else environ
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConnectionsFileError(path, [f"cannot read the file: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConnectionsFileError(path, [f"not valid YAML: {exc}".splitlines()[0]]) from None
    except RecursionError:
        raise ConnectionsFileError(path, ["not valid YAML: nested too deeply"]) from None
    except (ValueError, OverflowError) as exc:  # a value YAML cannot hold (a 5,000-digit int, 2026-13-45)
        raise ConnectionsFileError(path, [f"not valid YAML: {exc}"[:160]]) from None
    if not isinstance(data, dict) or set(data) != {"connections"} or not isinstance(data["connections"], list):
        raise ConnectionsFileError(path, ["the file must hold one key, `connections`, a list of connections"])
    found: list[str] = []
    specs: list[Spec] = []
    names: dict[str, int] = {}
    for index, item in enumerate(data["connections"]):
        where = f"connections[{index}]"
        if not isinstance(item, dict):
            found.append(f"{where}: must be a mapping of keys to values")
            continue
        name = item.get("name")
        if isinstance(name, str) and name in names:  # said, and the rest of the entry still checked
            found.append(f"{where}.name: {name!r} is also the name of connections[{names[name]}]")
        elif isinstance(name, str):
            names[name] = index
        kind = item.get("kind")
        model = {"hubspot": HubSpotConnection, "salesforce": SalesforceConnection}.get(kind) \
            if isinstance(kind, str) else None
        if model is None:
            found.append(f"{where}.kind: must be one of {', '.join(k.value for k in CrmKind)}")
            continue
        values, unresolved = _resolve_secrets(model, item, where, environ, found)
        try:
            specs.append(parse_spec(values))
        except ValidationError as exc:
            # A secret already reported above is not reported again as missing.
            found += [p for p in problems(exc, where)
                      if not (unresolved and (p.startswith(tuple(f"{where}.{k}:" for k in unresolved))
                                              or p.startswith(f"{where}: ")))]
    if found:
        raise ConnectionsFileError(path, found)
    return specs


def _resolve_secrets(model: type, item: dict, where: str, environ: Mapping[str, str],
                     found: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The entry with each ``${VAR}`` secret replaced by its value; the secrets that could not be
    (each problem added to ``found``) are left out and named."""
    values, unresolved = dict(item), []
    for key in model.secret_names():
        value = values.get(key)
        if value is None:
            continue
        ref = _ENV_REF.match(str(value))
        if ref is None:
            found.append(f"{where}.{key}: a secret must be a ${{VAR}} reference to an environment variable, "
                         "never the value itself")
        elif not environ.get(ref.group(1)):
            found.append(f"{where}.{key}: the environment variable {ref.group(1)} is not set")
        else:
            values[key] = environ[ref.group(1)]
            continue
        unresolved.append(key)
        values.pop(key)
    return values, unresolved


def configured(settings: Settings, environ: Mapping[str, str] | None = None) -> list[Spec]:
    """The file's connections and the shorthand variables' (a name in both is a problem)."""
    specs = load_file(settings.connections_file, environ) if settings.connections_file else []
    for spec in from_settings(settings):
        if any(s.name == spec.name for s in specs):
            raise ConnectionsFileError(settings.connections_file, [
                f"connection {spec.name!r} is in the file and in the LEADROUTER_{spec.name.upper()}_* variables: "
                "keep one"])
        specs.append(spec)
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

    def __init__(self, specs: list[Spec], loader: Callable[[], list[Spec | BrokenSpec]] | None = None,
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
    def specs(self) -> dict[str, Spec | BrokenSpec]:
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
            if isinstance(spec, BrokenSpec):
                self._broken[name] = spec.reason
                log.error("connection %s cannot be used: %s (the other connections go on)", name, spec.reason)
                raise ConnectionBroken(name, spec.reason)
            if name not in self._adapters:
                try:
                    self._adapters[name] = build_adapter(spec.kind.value, spec.adapter_settings(), spec.secrets(),
                                                         **self._options)
                except (ValueError, TypeError, KeyError, OSError) as exc:
                    self._broken[name] = str(exc) or type(exc).__name__
                    log.error("connection %s cannot be used: %s (the other connections go on)",
                              name, self._broken[name])
                    raise ConnectionBroken(name, self._broken[name]) from None
            return self._adapters[name]

    def owner_keys(self, name: str) -> tuple[str, ...]:
        """Where reps' ``crm:`` hold their owner ids in connection ``name``: under its name, and
        under its kind too when it is the only connection of its kind (the shorthand
        ``crm: {hubspot: "101"}``). With two HubSpot portals, only the names say which is which."""
        specs = self.specs
        kind = specs[name].kind
        same_kind = [n for n, spec in specs.items() if spec.kind == kind]
        return (name, str(getattr(kind, "value", kind))) if len(same_kind) == 1 else (name,)

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


def get_connections(app: Flask | None = None) -> Connections:
    """The app's connections (``init_app`` builds them; the demo replaces them with its own)."""
    return (app or current_app).extensions["leadrouter.connections"]


def set_connections(app: Flask, connections: Connections) -> None:
    app.extensions["leadrouter.connections"] = connections
