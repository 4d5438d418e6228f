"""Connections: admins only, secrets write-only and encrypted, "test connection" against the sandbox."""

from __future__ import annotations

import re


from connector.platform.models import AuditLog
from connector.connections.models import Connection
from tests.support.web import post

HUBSPOT = {"kind": "hubspot", "name": "hubspot-eu", "base_url": "https://api.hubapi.com", "poll_interval_s": "120",
           "enabled": "1", "token": "pat-na1-very-secret", "app_secret": "app-secret-value"}


def test_a_manager_cannot_open_connections_or_their_secrets(manager_client, db):
    with db.session() as session:
        session.add(Connection(name="hs", kind="hubspot", settings={}, secrets=None))
    for url in ("/settings/connections/", "/settings/connections/new", "/settings/connections/1"):
        assert manager_client.get(url).status_code == 403, url
    assert post(manager_client, "/settings/connections/1/test").status_code == 403
    assert post(manager_client, "/settings/connections/new", HUBSPOT).status_code == 403
    assert "Connections" not in manager_client.get("/settings/").get_data(as_text=True)


def test_secrets_are_stored_encrypted_and_never_shown(admin_client, db, app):
    response = post(admin_client, "/settings/connections/new?kind=hubspot", HUBSPOT)
    assert response.status_code == 302, response.get_data(as_text=True)
    with db.session() as session:
        row = session.query(Connection).one()
        assert "very-secret" not in (row.secrets or "") and row.poll_interval_s == 120
        audit = session.query(AuditLog).filter_by(action="connection.save").one()
        assert audit.detail["secrets_changed"] == ["token", "app_secret"] and "very-secret" not in str(audit.detail)
    box = app.extensions["leadrouter.secrets"]
    assert "pat-na1-very-secret" in box.decrypt(row.secrets)
    for url in ("/settings/connections/", f"/settings/connections/{row.id}"):
        page = admin_client.get(url).get_data(as_text=True)
        assert "very-secret" not in page and "app-secret-value" not in page
    assert "••••••••" in admin_client.get(f"/settings/connections/{row.id}").get_data(as_text=True)
    assert "/webhooks/hubspot/hubspot-eu" in admin_client.get("/settings/connections/").get_data(as_text=True)


def test_a_blank_secret_keeps_the_stored_one(admin_client, db, app):
    post(admin_client, "/settings/connections/new?kind=hubspot", HUBSPOT)
    post(admin_client, "/settings/connections/1", {**HUBSPOT, "token": "", "app_secret": "", "poll_interval_s": "300"})
    with db.session() as session:
        row = session.query(Connection).one()
    assert row.poll_interval_s == 300
    assert "pat-na1-very-secret" in app.extensions["leadrouter.secrets"].decrypt(row.secrets)


def test_bad_fields_are_shown_next_to_them(admin_client):
    response = post(admin_client, "/settings/connections/new?kind=hubspot",
                    {**HUBSPOT, "name": "Has Spaces", "poll_interval_s": "2", "base_url": "ftp://x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "lowercase letters" in page and "greater than or equal to 5" in page and "must be an http(s) URL" in page


def test_testing_a_connection_reports_what_works(admin_client, crm):
    crm.sandbox.reset()
    post(admin_client, "/settings/connections/new?kind=hubspot",
         {**HUBSPOT, "base_url": crm.url, "ca_bundle": str(crm.ca_path), "token": "sandbox-hubspot-token"})
    page = post(admin_client, "/settings/connections/1/test", token_from="/settings/connections/").get_data(as_text=True)
    assert page.count('class="ok"') == 3, page   # owners, unassigned leads, mapped fields
    assert re.search(r"read users/owners</b> — works \([1-9]\d* found\)", page)


def test_a_refused_token_is_explained(admin_client, crm):
    crm.sandbox.reset()
    post(admin_client, "/settings/connections/new?kind=hubspot",
         {**HUBSPOT, "base_url": crm.url, "ca_bundle": str(crm.ca_path), "token": "wrong-token"})
    page = post(admin_client, "/settings/connections/1/test", token_from="/settings/connections/").get_data(as_text=True)
    assert 'class="ok"' not in page and "the credentials were refused" in page


def test_stored_connections_become_specs_for_the_worker(admin_client, db, app):
    from connector.connections import service as connections

    post(admin_client, "/settings/connections/new?kind=salesforce",
         {"kind": "salesforce", "name": "sf", "url": "https://login.salesforce.com", "client_id": "abc",
          "intake_queues": "Inbound Leads\n00G000000000001", "client_secret": "s3cret",
          "poll_interval_seconds": "60", "enabled": "1", "recheck_before_write": "1",
          "fields": "score: Lead_Score__c\nproduct: Product_Interest__c", "extra_fields": "Segment__c",
          "closed_statuses": "Closed - Not Converted", "backfill": "2026-11-01", "cursor_field": "CreatedDate"})
    [spec] = connections.specs(db, app.extensions["leadrouter.secrets"])
    assert (spec.name, spec.kind, spec.secrets()) == ("sf", "salesforce", {"client_secret": "s3cret"})
    assert spec.intake_queues == ["Inbound Leads", "00G000000000001"]
    assert spec.adapter_settings()["auth"] == "client_credentials"
    assert spec.fields == {"score": "Lead_Score__c", "product": "Product_Interest__c"}
    assert spec.extra_fields == ["Segment__c"] and spec.closed_statuses == ["Closed - Not Converted"]
    assert str(spec.backfill) == "2026-11-01" and spec.cursor_field == "CreatedDate"
    # The edit form shows every stored value back (never the secret), and a save keeps the secret.
    page = admin_client.get("/settings/connections/1").get_data(as_text=True)
    assert "score: Lead_Score__c" in page and "Segment__c" in page and "s3cret" not in page
    post(admin_client, "/settings/connections/1", {"kind": "salesforce", "name": "sf",
         "url": "https://login.salesforce.com", "client_id": "abc", "enabled": "1", "recheck_before_write": "1",
         "fields": "score: Lead_Score__c", "extra_fields": "Segment__c"})
    [again] = connections.specs(db, app.extensions["leadrouter.secrets"])
    assert again.secrets() == {"client_secret": "s3cret"} and again.fields == {"score": "Lead_Score__c"}
    assert "s3cret" not in repr(spec) and "s3cret" not in str(spec.public())
