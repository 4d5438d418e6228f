"""The one contract every vendor of the sandbox keeps (Salesforce, HubSpot, Slack), in three
parts per vendor package:

    state.py     ``VendorState``: what the vendor holds (its orgs, portals or workspace) and what
                 people and the vendor's own automation do to it (a rep reassigning a lead, an
                 assignment rule, a webhook sent)
    vendor.py    ``Vendor``: the vendor's HTTP surface, built over its state: the API blueprint,
                 the control blueprint (/__sandbox__/<vendor>/), and the vendor-shaped bodies of
                 injected faults and unrouted paths
    routes       the modules the blueprints are made of: each takes the state, never the vendor

The control plane, the generator and the demo reach a vendor through this contract only.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

import flask

from sandbox.control import CONTROL_PREFIX

T = TypeVar("T")


class VendorState:
    """A vendor's data and behaviour, without its HTTP surface."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox   # the shared machinery: lock, clock, base_url, deliveries

    def reset(self) -> None:
        raise NotImplementedError

    def seed_demo(self, org: Any) -> None:
        """Turn the demo org (sandbox.demo.DemoOrg) into the vendor's own records."""
        raise NotImplementedError

    def create_lead(self, data: dict) -> dict:
        """A lead from canonical generator fields (sandbox.generator), as the vendor stores it."""
        raise NotImplementedError

    def get_record(self, record_type: str, record_id: str) -> dict | None:
        """Any stored record by type and id (control plane ``GET /records/...``); None = absent."""
        return None

    def describe(self) -> dict:
        return {}


def addressed(found: str, arg: str, lookup: Callable[[str], T], default: T) -> T:
    """Which of a vendor's accounts (an org, a portal) a request is for: the one its
    authentication found (``flask.g.<found>``), else the one a control call names
    (``?<arg>=``), else the default (seeded) one; outside a request, the default."""
    if flask.has_request_context():
        account = flask.g.get(found)
        if account is not None:
            return account
        wanted = flask.request.args.get(arg)
        if wanted and flask.request.path.startswith(CONTROL_PREFIX):
            return lookup(wanted)
    return default


def state_part(name: str, *, settable: bool = False) -> property:
    """A vendor attribute that is its state's ``name`` (what tests and the demo read)."""
    def set_part(vendor: "Vendor", value: Any) -> None:
        setattr(vendor.state, name, value)
    return property(lambda vendor: getattr(vendor.state, name), set_part if settable else None,
                    doc=f"The state's {name}.")


class Vendor:
    """One CRM / chat vendor: ``name``, the path ``prefixes`` it serves, its ``state_class``, and
    the blueprints over that state."""

    name: str = ""
    prefixes: tuple[str, ...] = ()
    state_class: type[VendorState] = VendorState

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.state = self.state_class(sandbox)

    def blueprint(self) -> flask.Blueprint:
        raise NotImplementedError

    def control_blueprint(self) -> flask.Blueprint | None:
        return None

    def fault_response(self, status: int, *, retry_after: float | None = None) -> flask.Response:
        """Vendor-shaped body for an injected 5xx or 429 (the vendor may change the status:
        Salesforce has no 429 and answers 403 REQUEST_LIMIT_EXCEEDED)."""
        resp = flask.jsonify({"error": "injected fault", "status": status})
        resp.status_code = status
        if retry_after is not None:
            resp.headers["Retry-After"] = str(int(retry_after) if retry_after == int(retry_after)
                                              else retry_after)
        return resp

    def http_error(self, status: int) -> flask.Response | None:
        """Vendor-shaped body for an unrouted 404/405 under its prefixes; None = werkzeug's."""
        return None

    # -- the state's part of the contract ----------------------------------------------------------
    def reset(self) -> None:
        self.state.reset()

    def seed_demo(self, org: Any) -> None:
        self.state.seed_demo(org)

    def create_lead(self, data: dict) -> dict:
        return self.state.create_lead(data)

    def get_record(self, record_type: str, record_id: str) -> dict | None:
        return self.state.get_record(record_type, record_id)

    def describe(self) -> dict:
        return self.state.describe()


__all__ = ["Vendor", "VendorState", "addressed", "state_part"]
