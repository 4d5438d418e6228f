"""Login flows as simple-salesforce performs them (OAuth password, client credentials, JWT
bearer, SOAP partner login) and their failures."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed


def test_oauth_password_grant_answers_the_documented_fields(http, sandbox_server, fresh_sandbox):
    body = http.post(f"{sandbox_server.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "sandbox", "client_secret": "sandbox",
        "username": "admin@sandbox.example", "password": "sandbox"}).json()
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at",
                         "signature"}
    org_id = fresh_sandbox.vendor("salesforce").store.org_id
    assert body["instance_url"] == sandbox_server.url and body["token_type"] == "Bearer"
    assert body["id"].startswith(f"{sandbox_server.url}/id/{org_id}/005")
    identity = http.get(body["id"], headers={"Authorization": f"Bearer {body['access_token']}"})
    assert identity.json()["username"] == "admin@sandbox.example"


def test_wrong_password_is_an_invalid_grant(http, sandbox_server, fresh_sandbox):
    response = http.post(f"{sandbox_server.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "sandbox", "client_secret": "sandbox",
        "username": "admin@sandbox.example", "password": "nope"})
    assert (response.status_code, response.json()) == (400, {
        "error": "invalid_grant", "error_description": "authentication failure"})


def test_sdk_logins_password_oauth_client_credentials_and_soap(http, fresh_sandbox):
    oauth = Salesforce(username="admin@sandbox.example", password="sandbox",
                       consumer_key="sandbox", consumer_secret="sandbox", session=http)
    soap = Salesforce(username="admin@sandbox.example", password="sandbox",
                      security_token="sandbox-token", session=http)
    client = Salesforce(consumer_key="sandbox", consumer_secret="sandbox", domain="sandbox",
                        session=http)
    for sf in (oauth, soap, client):
        assert sf.query("SELECT COUNT() FROM User")["totalSize"] == 10
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        Salesforce(username="admin@sandbox.example", password="wrong", security_token="x",
                   session=http)
    assert caught.value.code == "INVALID_LOGIN"


def _key_and_cert():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leadrouter-test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return pem_key, cert.public_bytes(serialization.Encoding.PEM).decode()


def test_jwt_bearer_checks_the_signature_against_the_configured_certificate(http, fresh_sandbox):
    key, cert = _key_and_cert()
    other_key, _ = _key_and_cert()
    fresh_sandbox.options["salesforce_jwt_public_key"] = cert
    try:
        sf = Salesforce(username="admin@sandbox.example", consumer_key="sandbox", privatekey=key,
                        session=http)
        assert sf.query("SELECT Id FROM Group")["totalSize"] == 1
        with pytest.raises(SalesforceAuthenticationFailed) as caught:
            Salesforce(username="admin@sandbox.example", consumer_key="sandbox",
                       privatekey=other_key, session=http)
        assert caught.value.code == "invalid_grant"
    finally:
        fresh_sandbox.options["salesforce_jwt_public_key"] = None
