"""Stored CRM connections: settings in clear, secrets encrypted (``SecretBox``) and write-only,
plus "test connection", which asks the CRM for cheap reads and says which ones fail and why."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import select

from connector.platform.db import Database
from connector.platform.keys import SecretBox
from connector.connections.models import Connection
from connector.platform.services import Invalid, NotFound, audit, check_id

NAME = re.compile(r"^[a-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class FormField:
    """One input of the connection form, generated from the connection model's field: every
    option a file or the environment can set is settable here too."""

    name: str
    label: str
    help: str
    widget: str                  # text | number | checkbox | select | lines | mapping | password
    default: str = ""            # as the input shows it
    choices: tuple[str, ...] = ()
    required: bool = False

    @property
    def secret(self) -> bool:
        return self.widget == "password"


# The form's own inputs for these: the name and the kind are asked first, enabled and the poll
# interval at the end; the rest follows the model's order.
_FIRST, _LAST = ("name",), ("poll_interval_seconds", "enabled")
_LABELS = {"url": "Login or My Domain URL", "base_url": "API base URL", "ca_bundle": "CA bundle file",
           "client_id": "Connected app consumer key", "client_secret": "Connected app consumer secret",
           "jwt_key_file": "JWT private key file", "org_id": "Org id (00D…)", "portal_id": "Account (portal) id",
           "api_version": "API version", "token": "Private app access token", "app_secret": "App client secret",
           "fields": "Field mapping", "extra_fields": "Extra (custom) fields", "poll_interval_seconds": "Poll interval (s)"}


def _model(kind: str):
    from adapters.specs import MODELS, CrmKind

    return MODELS[CrmKind(kind)]


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {v if v is not None else ''}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else ""
    return str(getattr(value, "value", value))


def _widget(name: str, info: Any) -> tuple[str, tuple[str, ...]]:
    import enum
    import typing

    if (info.json_schema_extra or {}).get("secret"):
        return "password", ()
    import types

    annotation = info.annotation
    if name == "backfill":  # now | all | a date
        return "text", ()
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # X | None: the X
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    first = annotation
    if first is bool:
        return "checkbox", ()
    if first in (int, float):
        return "number", ()
    if typing.get_origin(first) is typing.Literal:
        return "select", tuple(str(getattr(v, "value", v)) for v in typing.get_args(first))
    if isinstance(first, type) and issubclass(first, enum.Enum):
        return "select", tuple(str(m.value) for m in first)
    if typing.get_origin(first) is dict:
        return "mapping", ()
    if typing.get_origin(first) is list:
        return "lines", ()
    return "text", ()


def form_fields(kind: str) -> list[FormField]:
    """The connection form for one CRM kind, from its model (help texts included)."""
    from pydantic_core import PydanticUndefined

    model = _model(kind)
    names = [n for n in model.model_fields if n != "kind"]
    order = [*_FIRST, *[n for n in names if n not in _FIRST + _LAST], *_LAST]
    fields = []
    for name in order:
        info = model.model_fields[name]
        widget, choices = _widget(name, info)
        default = info.default_factory() if info.default_factory is not None else info.default
        required = default is PydanticUndefined
        if widget == "select" and not required and default is None:
            choices = ("",) + choices
        fields.append(FormField(name, _LABELS.get(name, name.replace("_", " ").capitalize()), info.description or "",
                                widget, "" if required or widget == "password" else _shown(default), choices,
                                required))
    return fields


def _parse_input(field: FormField, raw: Any) -> Any:
    """A form string (or a JSON value from the API) as the model expects it; None = not given."""
    if not isinstance(raw, str):
        return raw  # the JSON API sends lists, mappings, numbers and booleans as they are
    text = raw.strip()
    if field.widget == "checkbox":
        return text not in ("", "0", "false", "off")
    if not text:
        return None
    if field.widget == "lines":
        return [line.strip() for line in re.split(r"[\n,]", text) if line.strip()]
    if field.widget == "mapping":
        mapping: dict[str, str | None] = {}
        for line in text.splitlines():
            if line.strip():
                key, sep, value = line.partition(":")
                if not sep:
                    raise ValueError(f"{line.strip()!r}: write one `canonical field: CRM field` per line")
                mapping[key.strip()] = value.strip() or None
        return mapping
    return text


MASK = "••••••••"


def _box_decrypt(box: SecretBox, token: str | None) -> dict[str, str]:
    return json.loads(box.decrypt(token)) if token else {}


def list_connections(db: Database) -> list[Connection]:
    """Connections stored from the settings page (rows that only hold the poll cursor of a
    connection configured by environment variables are not listed)."""
    with db.session() as session:
        rows = session.scalars(select(Connection).order_by(Connection.name))
        return [row for row in rows if (row.settings or {}).get("source") != "environment"]


def get(db: Database, connection_id: int) -> Connection:
    check_id(connection_id, "connection")
    with db.session() as session:
        row = session.get(Connection, connection_id)
        if row is None:
            raise NotFound(f"no connection {connection_id}")
        return row


def secret_state(box: SecretBox, row: Connection | None) -> dict[str, bool]:
    """Which secrets are set — the values themselves never leave this module."""
    return {k: bool(v) for k, v in _box_decrypt(box, row.secrets if row else None).items()}


KIND_NAMES = ("hubspot", "salesforce")


def save(db: Database, box: SecretBox, connection_id: int | None, form: dict[str, Any], *, actor: str,
         html_form: bool = True) -> Connection:
    """Create or update a stored connection from the page's form (strings; an unchecked box is
    absent) or the API's JSON (``html_form=False``: native values; an absent key keeps the stored
    value, else the default). Validated by the connection model, each problem at its field. A
    blank secret keeps the stored value (write-only secrets)."""
    from pydantic import ValidationError

    from adapters.specs import parse_spec

    kind = str(form.get("kind") or "")
    if kind not in KIND_NAMES:
        raise Invalid({"kind": [f"one of: {', '.join(KIND_NAMES)}"]})
    errors: dict[str, list[str]] = {}
    with db.session() as session:
        row = session.get(Connection, connection_id) if connection_id else None
        if connection_id and row is None:
            raise NotFound(f"no connection {connection_id}")
        stored = _stored_values(row) if row is not None and row.kind == kind else {}
        secrets = _box_decrypt(box, row.secrets if row else None)
    data: dict[str, Any] = {"kind": kind}
    changed: list[str] = []
    for field in form_fields(kind):
        raw = form.get(field.name)
        if raw is None and field.name == "poll_interval_seconds":
            raw = form.get("poll_interval_s")  # the form's old name
        if field.secret:
            value = str(raw or "").strip()
            if value:
                secrets[field.name] = value
                changed.append(field.name)
            if secrets.get(field.name):
                data[field.name] = secrets[field.name]
            continue
        if raw is None and (not html_form or field.widget != "checkbox"):
            if field.name in stored:
                data[field.name] = stored[field.name]
            continue
        try:
            value = _parse_input(field, raw if raw is not None else "")
        except ValueError as exc:
            errors.setdefault(field.name, []).append(str(exc))
            continue
        if value is not None:
            data[field.name] = value.lower() if field.name == "name" and isinstance(value, str) else value
    try:
        spec = parse_spec(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [part for part in error.get("loc", ()) if part not in KIND_NAMES]
            key = str(loc[0]) if loc else ""
            message = error.get("msg", "invalid").removeprefix("Value error, ")
            errors.setdefault(key, []).append("required" if error.get("type") == "missing" else message)
    if errors:
        raise Invalid(errors)
    settings = spec.model_dump(mode="json", exclude_defaults=True,
                               exclude={"name", "kind", "enabled", "poll_interval_seconds", *spec.secret_names()})
    with db.session() as session:
        clash = session.scalar(select(Connection).where(Connection.name == spec.name))
        row = session.get(Connection, connection_id) if connection_id else None
        if clash is not None and clash is not row:
            raise Invalid({"name": ["another connection has this name"]})
        if row is None:
            row = Connection(name=spec.name, kind=kind)
            session.add(row)
        row.name, row.kind, row.settings, row.poll_interval_s = spec.name, kind, settings, spec.poll_interval_seconds
        row.enabled = spec.enabled
        kept = spec.secrets()
        row.secrets = box.encrypt(json.dumps(kept)) if kept else None
        session.flush()
        audit(session, actor, "connection.save", "connection", str(row.id), name=spec.name, kind=kind,
              settings=settings, secrets_changed=changed)  # which secrets changed, never their values
        return row


def _stored_values(row: Connection) -> dict[str, Any]:
    """A stored row's non-secret values by model field (for an edit that leaves some out)."""
    return {**_adapter_settings(row), "name": row.name, "enabled": row.enabled,
            "poll_interval_seconds": row.poll_interval_s}


def form_values(row: Connection | None, kind: str) -> dict[str, str]:
    """What each input of the form shows: the stored value, else the model's default."""
    stored = _stored_values(row) if row is not None else {}
    return {f.name: (_shown(stored[f.name]) if f.name in stored else f.default)
            for f in form_fields(kind) if not f.secret}


def _adapter_settings(row: Connection) -> dict[str, Any]:
    settings = dict(row.settings or {})
    queue = settings.pop("intake_queue", None)
    if queue:
        settings["intake_queues"] = [queue]
    return settings


CHECKS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("read users/owners", "read the list of owners (reps)", lambda a: a.read_roster()),
    ("find unassigned leads", "search leads waiting for an owner", lambda a: a.find_unassigned(None)),
]


def _explain(exc: Exception) -> str:
    from adapters import AuthError, CrmUnavailable, PermissionDenied, RateLimited

    messages = {
        AuthError: "the credentials were refused: check the token / secret and the user",
        PermissionDenied: "signed in, but this permission is missing",
        RateLimited: "the CRM is rate-limiting us right now; try again in a minute",
        CrmUnavailable: "the CRM did not answer (network, outage or wrong URL)",
    }
    for cls, text in messages.items():
        if isinstance(exc, cls):
            return f"{text} ({getattr(exc, 'message', exc)})"
    return f"{type(exc).__name__}: {exc}"


FIELDS_CHECK = "mapped fields"


def _field_checks(adapter: Any) -> list[dict]:
    """Every mapped field against the CRM's own field list: one failed row naming each unknown one."""
    try:
        unknown = adapter.unknown_fields()
    except Exception as exc:  # noqa: BLE001 — reported as the check's answer
        return [{"check": FIELDS_CHECK, "ok": False, "detail": f"cannot read the CRM's field list: {_explain(exc)}"}]
    if not unknown:
        return [{"check": FIELDS_CHECK, "ok": True, "detail": "every mapped field exists in the CRM"}]
    return [{"check": FIELDS_CHECK, "ok": False, "detail": problem} for problem in unknown]


def run_checks(adapter: Any) -> list[dict]:
    """The cheap reads of CHECKS, then the field check; each result {check, ok, detail}."""
    results = []
    for name, needs, call in CHECKS:
        try:
            value = call(adapter)
        except Exception as exc:  # noqa: BLE001 — reported per check, as the feature promises
            results.append({"check": name, "ok": False, "detail": f"cannot {needs}: {_explain(exc)}"})
        else:
            count = len(value) if isinstance(value, list) else len(getattr(value, "leads", []) or [])
            results.append({"check": name, "ok": True, "detail": f"works ({count} found)"})
    return results + _field_checks(adapter)


def _checked(db: Database, name: str, build: Callable[[], Any]) -> list[dict]:
    """Build a fresh adapter, run the checks, and keep what the calls saw as the connection's health."""
    from connector.connections.health import HealthWriter

    try:
        adapter = build()
    except Exception as exc:  # noqa: BLE001 — any set-up problem is the answer to "does it work?"
        return [{"check": "set up the client", "ok": False, "detail": _explain(exc)}]
    try:
        results = run_checks(adapter)
        HealthWriter(db).offer(name, adapter.health(), force=True)
        return results
    finally:
        adapter.close()


def test(db: Database, box: SecretBox, connection_id: int, *, actor: str, **adapter_options: Any) -> list[dict]:
    """Each check: what it needs and whether it works. Never raises for CRM trouble."""
    from adapters import build_adapter

    from connector.connections.registry import BrokenSpec

    row = get(db, connection_id)
    spec = spec_of(row, _box_decrypt(box, row.secrets))
    if isinstance(spec, BrokenSpec):
        results = [{"check": "set up the client", "ok": False, "detail": spec.reason}]
    else:
        results = _checked(db, row.name, lambda: build_adapter(spec.kind.value, spec.adapter_settings(),
                                                               spec.secrets(), **adapter_options))
    with db.session() as session:
        audit(session, actor, "connection.test", "connection", str(row.id),
              ok=all(r["ok"] for r in results))
    return results


def test_named(db: Database, connections: Any, name: str, *, actor: str, **adapter_options: Any) -> list[dict]:
    """"Test connection" for any connection by name (file, environment or stored), as the worker
    sees it (``Connections.specs``). Raises ``NotFound`` for an unknown name."""
    from adapters import build_adapter
    from connector.connections.registry import BrokenSpec

    spec = connections.specs.get(name)
    if spec is None:
        raise NotFound(f"no connection named {name!r}")
    if isinstance(spec, BrokenSpec):
        results = [{"check": "set up the client", "ok": False, "detail": spec.reason}]
    else:
        results = _checked(db, name, lambda: build_adapter(spec.kind.value, spec.adapter_settings(), spec.secrets(),
                                                           **adapter_options))
    with db.session() as session:
        audit(session, actor, "connection.test", "connection", name, ok=all(r["ok"] for r in results))
    return results


def spec_of(row: Connection, secrets: dict[str, str]) -> Any:
    """A stored row as the typed connection model, or a ``BrokenSpec`` saying why it is not one."""
    from pydantic import ValidationError

    from adapters.specs import parse_spec, problems
    from connector.connections.registry import BrokenSpec

    data = {**_adapter_settings(row), **secrets, "name": row.name, "kind": row.kind, "enabled": row.enabled,
            "poll_interval_seconds": row.poll_interval_s}
    try:
        return parse_spec(data)
    except ValidationError as exc:
        return BrokenSpec(row.name, row.kind, "; ".join(problems(exc)), row.enabled, row.poll_interval_s)


def specs(db: Database, box: SecretBox) -> list[Any]:
    """Enabled stored connections as typed connection models (what the worker, the poller and
    the webhook doors use), secrets decrypted; a row that is no longer valid fails alone."""
    return [spec_of(row, _box_decrypt(box, row.secrets)) for row in list_connections(db) if row.enabled]


def webhook_urls(base_url: str, row: Connection) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {"webhook": f"{base}/webhooks/{row.kind}/{row.name}", "inbound": f"{base}/webhooks/inbound/{row.name}"}
