"""Stored CRM connections: settings in clear, secrets encrypted (``SecretBox``) and write-only,
each row read back as its typed connection model; and the row every configured connection keeps
its poll cursor in."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.specs import parse_spec, problems
from connector.connections.form import form_fields, parse_input, shown
from connector.connections.models import Connection
from connector.connections.registry import BrokenSpec, get_connections
from connector.platform.db import Database, dialect_insert, get_db
from connector.platform.keys import SecretBox
from connector.platform.services import Invalid, NotFound, audit, check_id


def box_decrypt(box: SecretBox, token: str | None) -> dict[str, str]:
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
    return {k: bool(v) for k, v in box_decrypt(box, row.secrets if row else None).items()}


KIND_NAMES = ("hubspot", "salesforce")


def save(db: Database, box: SecretBox, connection_id: int | None, form: dict[str, Any], *, actor: str,
         html_form: bool = True) -> Connection:
    """Create or update a stored connection from the page's form (strings; an unchecked box is
    absent) or the API's JSON (``html_form=False``: native values; an absent key keeps the stored
    value, else the default). Validated by the connection model, each problem at its field. A
    blank secret keeps the stored value (write-only secrets)."""
    kind = str(form.get("kind") or "")
    if kind not in KIND_NAMES:
        raise Invalid({"kind": [f"one of: {', '.join(KIND_NAMES)}"]})
    with db.session() as session:
        row = session.get(Connection, connection_id) if connection_id else None
        if connection_id and row is None:
            raise NotFound(f"no connection {connection_id}")
        stored = _stored_values(row) if row is not None and row.kind == kind else {}
        secrets = box_decrypt(box, row.secrets if row else None)
    data, changed, errors = _form_data(form, kind, stored, secrets, html_form)
    spec = _validated(data, errors)
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


def _form_data(form: dict[str, Any], kind: str, stored: dict[str, Any], secrets: dict[str, str],
               html_form: bool) -> tuple[dict[str, Any], list[str], dict[str, list[str]]]:
    """The model's input from the form: (data, the secrets it changes, problems by field)."""
    data: dict[str, Any] = {"kind": kind}
    changed: list[str] = []
    errors: dict[str, list[str]] = {}
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
            value = parse_input(field, raw if raw is not None else "")
        except ValueError as exc:
            errors.setdefault(field.name, []).append(str(exc))
            continue
        if value is not None:
            data[field.name] = value.lower() if field.name == "name" and isinstance(value, str) else value
    return data, changed, errors


def _validated(data: dict[str, Any], errors: dict[str, list[str]]) -> Any:
    """The typed connection model, or ``Invalid`` with the form's and the model's problems by field."""
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
    return spec


def _stored_values(row: Connection) -> dict[str, Any]:
    """A stored row's non-secret values by model field (for an edit that leaves some out)."""
    return {**_adapter_settings(row), "name": row.name, "enabled": row.enabled,
            "poll_interval_seconds": row.poll_interval_s}


def form_values(row: Connection | None, kind: str) -> dict[str, str]:
    """What each input of the form shows: the stored value, else the model's default."""
    stored = _stored_values(row) if row is not None else {}
    return {f.name: (shown(stored[f.name]) if f.name in stored else f.default)
            for f in form_fields(kind) if not f.secret}


def _adapter_settings(row: Connection) -> dict[str, Any]:
    settings = dict(row.settings or {})
    queue = settings.pop("intake_queue", None)
    if queue:
        settings["intake_queues"] = [queue]
    return settings


def spec_of(row: Connection, secrets: dict[str, str]) -> Any:
    """A stored row as the typed connection model, or a ``BrokenSpec`` saying why it is not one."""


    data = {**_adapter_settings(row), **secrets, "name": row.name, "kind": row.kind, "enabled": row.enabled,
            "poll_interval_seconds": row.poll_interval_s}
    try:
        return parse_spec(data)
    except ValidationError as exc:
        return BrokenSpec(row.name, row.kind, "; ".join(problems(exc)), row.enabled, row.poll_interval_s)


def specs(db: Database, box: SecretBox) -> list[Any]:
    """Enabled stored connections as typed connection models (what the worker, the poller and
    the webhook doors use), secrets decrypted; a row that is no longer valid fails alone."""
    return [spec_of(row, box_decrypt(box, row.secrets)) for row in list_connections(db) if row.enabled]


def webhook_urls(base_url: str, row: Connection) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {"webhook": f"{base}/webhooks/{row.kind}/{row.name}", "inbound": f"{base}/webhooks/inbound/{row.name}"}


def connection_row(session: Session, name: str, kind: str) -> Connection:
    row = session.scalars(select(Connection).where(Connection.name == name).with_for_update()).first()
    if row is None:  # connections from the environment get a row to keep their cursor in
        # Two jobs (or nodes) may create it at once: INSERT … ON CONFLICT DO NOTHING lets the
        # second wait for the first and skip, then both lock the one row.
        session.execute(dialect_insert(session)(Connection)
                        .values(name=name, kind=kind, settings={"source": "environment"})
                        .on_conflict_do_nothing(index_elements=["name"]))
        row = session.scalars(select(Connection).where(Connection.name == name).with_for_update()).one()
    return row


def record_connections(app: Flask) -> None:
    """Start-up work: every configured connection gets its row the first time a process knows
    it. The row's ``created_at`` is when the connection was connected: with ``backfill: now``,
    its first poll routes only what was created or changed from then on."""
    connections = get_connections(app)
    with get_db(app).session() as session:
        for name, spec in connections.specs.items():
            connection_row(session, name, str(getattr(spec.kind, "value", spec.kind)))
