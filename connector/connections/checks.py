""""Test connection": cheap reads, then every mapped field against the CRM's own field list,
each check saying what it needs and whether it works; what the calls saw is kept as the
connection's health."""

from __future__ import annotations

from typing import Any, Callable

from adapters import AuthError, CrmUnavailable, PermissionDenied, RateLimited, build_adapter
from connector.connections.health import HealthWriter
from connector.connections.registry import BrokenSpec
from connector.connections.service import box_decrypt, get, spec_of
from connector.platform.db import Database
from connector.platform.keys import SecretBox
from connector.platform.services import NotFound, audit

CHECKS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("read users/owners", "read the list of owners (reps)", lambda a: a.read_roster()),
    ("find unassigned leads", "search leads waiting for an owner", lambda a: a.find_unassigned(None)),
]


def _explain(exc: Exception) -> str:
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
    row = get(db, connection_id)
    return _tested(db, row.name, spec_of(row, box_decrypt(box, row.secrets)), str(row.id), actor, adapter_options)


def test_named(db: Database, connections: Any, name: str, *, actor: str, **adapter_options: Any) -> list[dict]:
    """"Test connection" for any connection by name (file, environment or stored), as the worker
    sees it (``Connections.specs``). Raises ``NotFound`` for an unknown name."""
    spec = connections.specs.get(name)
    if spec is None:
        raise NotFound(f"no connection named {name!r}")
    return _tested(db, name, spec, name, actor, adapter_options)


def _tested(db: Database, name: str, spec: Any, audit_id: str, actor: str, adapter_options: dict) -> list[dict]:
    """The checks of one connection model (a broken one fails at set-up), audited."""
    if isinstance(spec, BrokenSpec):
        results = [{"check": "set up the client", "ok": False, "detail": spec.reason}]
    else:
        results = _checked(db, name, lambda: build_adapter(spec.kind.value, spec.adapter_settings(), spec.secrets(),
                                                           **adapter_options))
    with db.session() as session:
        audit(session, actor, "connection.test", "connection", audit_id, ok=all(r["ok"] for r in results))
    return results
