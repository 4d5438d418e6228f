"""Stored CRM connections: settings in clear, secrets encrypted (``SecretBox``) and write-only,
plus "test connection", which asks the CRM for cheap reads and says which ones fail and why."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import select

from connector.db import Database
from connector.keys import SecretBox
from connector.models import Connection, ConnectionKind
from connector.services import Invalid, NotFound, audit, check_id

NAME = re.compile(r"^[a-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    help: str = ""
    default: str = ""


# One table per CRM kind: the form, validation and test all read it (no per-kind if/elif).
KINDS: dict[str, dict[str, list[FieldSpec]]] = {
    ConnectionKind.HUBSPOT.value: {
        "settings": [FieldSpec("base_url", "API base URL", "keep the default unless you test against a sandbox",
                               "https://api.hubapi.com"),
                     FieldSpec("portal_id", "Account (portal) id", "for record links in notifications: the number "
                               "in your HubSpot URLs (app.hubspot.com/contacts/<id>/…)"),
                     FieldSpec("ca_bundle", "CA bundle file", "only behind a TLS-inspecting proxy, or for the sandbox")],
        "secrets": [FieldSpec("token", "Private app access token", "Settings → Integrations → Private apps"),
                    FieldSpec("app_secret", "App client secret", "verifies webhook signatures")],
    },
    ConnectionKind.SALESFORCE.value: {
        "settings": [FieldSpec("url", "Login or instance URL", "", "https://login.salesforce.com"),
                     FieldSpec("client_id", "Connected app consumer key"),
                     FieldSpec("username", "Integration user", "empty: client credentials flow"),
                     FieldSpec("api_version", "API version", "", "59.0"),
                     FieldSpec("org_id", "Org id (00D…)", "outbound messages from another org are refused"),
                     FieldSpec("intake_queue", "Intake queue", "name or 00G id; empty: any queue"),
                     FieldSpec("ca_bundle", "CA bundle file", "only behind a TLS-inspecting proxy, or for the sandbox")],
        "secrets": [FieldSpec("client_secret", "Connected app consumer secret"),
                    FieldSpec("password", "Password + security token", "only for the password flow")],
    },
}
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


def save(db: Database, box: SecretBox, connection_id: int | None, form: dict[str, Any], *, actor: str) -> Connection:
    """Create or update. A blank secret field keeps the stored value (write-only secrets)."""
    kind = form.get("kind", "")
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        raise Invalid({"kind": [f"one of: {', '.join(KINDS)}"]})
    name = (form.get("name") or "").strip().lower()
    if not NAME.match(name):
        errors["name"] = ["lowercase letters, digits, - and _ (it appears in the webhook URL)"]
    try:
        interval = int(form.get("poll_interval_s") or 60)
        if not 15 <= interval <= 86_400:
            raise ValueError
    except ValueError:
        errors["poll_interval_s"] = ["seconds between 15 and 86400"]
        interval = 60
    settings = {f.name: str(form.get(f.name) or "").strip() for f in KINDS[kind]["settings"]}
    settings = {k: v for k, v in settings.items() if v}
    for key in ("base_url", "url"):
        if key in settings and not settings[key].startswith(("https://", "http://")):
            errors[key] = ["a URL starting with https://"]
    if errors:
        raise Invalid(errors)
    with db.session() as session:
        clash = session.scalar(select(Connection).where(Connection.name == name))
        row = session.get(Connection, connection_id) if connection_id else None
        if connection_id and row is None:
            raise NotFound(f"no connection {connection_id}")
        if clash is not None and clash is not row:
            raise Invalid({"name": ["another connection has this name"]})
        secrets = _box_decrypt(box, row.secrets if row else None)
        changed = []
        for spec in KINDS[kind]["secrets"]:
            value = str(form.get(spec.name) or "")
            if value.strip():
                secrets[spec.name] = value.strip()
                changed.append(spec.name)
        if row is None:
            row = Connection(name=name, kind=kind)
            session.add(row)
        row.name, row.kind, row.settings, row.poll_interval_s = name, kind, settings, interval
        row.enabled = bool(form.get("enabled"))
        row.secrets = box.encrypt(json.dumps(secrets)) if secrets else None
        session.flush()
        audit(session, actor, "connection.save", "connection", str(row.id), name=name, kind=kind,
              settings=settings, secrets_changed=changed)  # which secrets changed, never their values
        return row


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
    from connector.health import HealthWriter

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

    row = get(db, connection_id)
    results = _checked(db, row.name, lambda: build_adapter(row.kind, _adapter_settings(row),
                                                           _box_decrypt(box, row.secrets), **adapter_options))
    with db.session() as session:
        audit(session, actor, "connection.test", "connection", str(row.id),
              ok=all(r["ok"] for r in results))
    return results


def test_named(db: Database, connections: Any, name: str, *, actor: str, **adapter_options: Any) -> list[dict]:
    """"Test connection" for any connection by name (file, environment or stored), as the worker
    sees it (``Connections.specs``). Raises ``NotFound`` for an unknown name."""
    from adapters import build_adapter
    from connector.connections import BrokenSpec

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
    from connector.connections import BrokenSpec

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
