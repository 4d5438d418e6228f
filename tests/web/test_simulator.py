"""The simulator: a CSV or the last N days of real leads, under a draft, against reality."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from connector.routing import store as routing_store
from connector.pipeline.models import Assignment
from tests.support.web import ROUTING, post

CSV = """id,email,country,industry,employees,actual_owner
L1,cto@acme.com,US,Retail,20,bruno
L2,a@b.io,US,Aerospace,5000,ana
L3,c@d.io,ES,Retail,10,carla
"""


def test_a_csv_shows_who_would_get_each_lead_next_to_reality(manager_client, routing):
    response = post(manager_client, "/settings/simulate/", {"source": "csv", "csv": CSV, "draft": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    result = page[page.index('id="sim-result"'):]
    assert "Result: 3 leads" in result and "existing-customer" in result and "Actually" in result
    assert "round_robin" in result or "weighted" in result  # the traces are there


def test_a_draft_changes_the_outcome_without_saving_anything(manager_client, routing, db):
    draft = ROUTING.replace("  - name: existing-customer\n    assign: account_owner            # lead's email/website"
                            " domain -> that account's owner\n", "")
    assert draft != ROUTING
    page = post(manager_client, "/settings/simulate/", {"source": "csv", "csv": CSV, "draft": draft}).get_data(as_text=True)
    assert "existing-customer" not in page[page.index('id="sim-result"'):]
    assert routing_store.get_version(db).version == 1


def test_a_broken_draft_or_csv_is_explained(manager_client, routing):
    response = post(manager_client, "/settings/simulate/", {"source": "csv", "csv": CSV, "draft": "rules: [{name: x, pick: nope}]"})
    assert response.status_code == 422 and "nope" in response.get_data(as_text=True)
    response = post(manager_client, "/settings/simulate/", {"source": "csv", "csv": "", "draft": ""})
    assert response.status_code == 422 and "the CSV is empty" in response.get_data(as_text=True)


def test_the_last_days_of_real_leads_are_compared_with_what_happened(manager_client, routing, db):
    now = datetime.now(timezone.utc)
    with db.session() as session:
        session.add(Assignment(connection="hubspot", lead_id="R1", status="written", rep_id="carla",
                               lead_summary={"name": "Rita Real", "email": "rita@acme.com", "country": "US"},
                               received_at=now - timedelta(days=1)))
        session.add(Assignment(connection="hubspot", lead_id="OLD", status="written", rep_id="ana",
                               received_at=now - timedelta(days=30)))
    page = post(manager_client, "/settings/simulate/", {"source": "log", "days": "7", "draft": ""}).get_data(as_text=True)
    result = page[page.index('id="sim-result"'):]
    assert "Result: 1 lead, 1 would go to someone else" in result
    assert "R1" in result and "OLD" not in result and "carla" in result and "bruno" in result
