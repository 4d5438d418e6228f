"""Roster sync and load reconciliation against the CRM."""

from __future__ import annotations

from collections import Counter

from connector.pipeline import jobs
from connector.platform.db import get_db
from connector.routing.models import Rep, RepState


def salesforce_token(routed) -> str:
    response = routed.http.post(f"{routed.crm.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "sandbox", "client_secret": "sandbox",
        "username": "admin@sandbox.example", "password": "sandbox"})
    return response.json()["access_token"]


def test_a_user_deactivated_in_the_crm_stops_getting_leads(routed):
    connections = routed.app.extensions["leadrouter.connections"]
    users = [u for u in connections.adapter("salesforce").read_roster()
             if u.active and u.email != "admin@sandbox.example"]
    leaving = users[0]
    response = routed.http.patch(f"{routed.crm.url}/services/data/v59.0/sobjects/User/{leaving.id}",
                                 json={"IsActive": False},
                                 headers={"Authorization": f"Bearer {salesforce_token(routed)}"})
    assert response.status_code == 204, response.text
    changes = jobs.sync_roster(routed.app, "salesforce")
    assert changes and list(changes.values()).count(False) == 1
    rep_id = next(rep for rep, active in changes.items() if not active)
    assert jobs.sync_roster(routed.app, "hubspot")[rep_id] is True  # still active there...
    with get_db(routed.app).session() as session:
        assert session.get(Rep, rep_id).active is False  # ...but one CRM said no: no leads at all

    routed.create_leads("hubspot", 8)
    routed.create_leads("salesforce", 8)
    routed.wait_for_inbox(16)
    assert routed.drain().written == 16
    assert rep_id not in {a.rep_id for a in routed.assignments()}


def test_reconciling_takes_the_crms_open_lead_counts(routed):
    routed.create_leads("hubspot", 5)
    routed.wait_for_inbox(5)
    assert routed.drain().written == 5
    ours = Counter(a.rep_id for a in routed.assignments())
    with get_db(routed.app).session() as session:  # our own count drifts (say a lead was closed)
        for rep_id in ours:
            session.get(RepState, rep_id).open_load = 99
    loads = jobs.reconcile_load(routed.app, "hubspot")
    assert {rep: n for rep, n in loads.items() if n} == dict(ours)
    with get_db(routed.app).session() as session:
        assert {rep: session.get(RepState, rep).open_load for rep in ours} == dict(ours)
