"""Login endpoints: POST /services/oauth2/token, POST /services/Soap/u/<version> (partner
login), GET /id/<org>/<user> (identity URL)."""
from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

import flask

import sandbox.salesforce.ids as ids
from sandbox.salesforce.auth import (JWT_AUDIENCES, JWT_GRANT, OAuthError, parse_soap_login,
                                     soap_login_fault, soap_login_response, token_signature,
                                     verify_jwt)
from sandbox.salesforce.errors import SalesforceError

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.salesforce.state import SalesforceState


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def register_login_routes(bp: flask.Blueprint, state: "SalesforceState") -> None:
    """Every org shares the login endpoints, as login.salesforce.com does: the username (unique
    across Salesforce) names the org, or, for client credentials, the connected app's key."""
    sandbox = state.sandbox

    def client_credentials() -> tuple[str | None, str | None]:
        auth = flask.request.authorization
        if auth is not None and auth.type == "basic":
            return auth.username, auth.password
        form = flask.request.form
        return form.get("client_id"), form.get("client_secret")

    def org_of(username: str | None, client_id: str | None):
        """(org, user): the user's org, else the connected app's, else the default org."""
        found = state._user_by_username(username or "") if username else None
        if found is not None:
            return found
        return state.org_for_client(client_id) or state.default, None

    def check_client(org, client_id: str | None, secret: str | None, *, need_secret: bool) -> None:
        if not _same(client_id, org.option("client_id")):
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if need_secret and not _same(secret, org.option("client_secret")):
            raise OAuthError("invalid_client", "invalid client credentials")

    def password_ok(org, user: dict | None, password: str) -> bool:
        # Like the org: the password alone from a trusted IP range, else password + token.
        if user is None or user["Id"] != org.store.admin_id:
            return False
        return _same(password, org.option("password")) or _same(
            password, org.option("password") + org.option("security_token"))

    @bp.post("/services/oauth2/token")
    def oauth_token() -> Any:
        form = flask.request.form
        grant = form.get("grant_type")
        try:
            with sandbox.lock:
                if grant == "password":
                    client_id, secret = client_credentials()
                    org, user = org_of(form.get("username", ""), client_id)
                    check_client(org, client_id, secret, need_secret=True)
                    if not password_ok(org, user, form.get("password", "")):
                        raise OAuthError("invalid_grant", "authentication failure")
                elif grant == "client_credentials":
                    client_id, secret = client_credentials()
                    org = state.org_for_client(client_id) or state.default
                    check_client(org, client_id, secret, need_secret=True)
                    user = org.store.get("User", org.store.admin_id)  # the "run as" user
                elif grant == JWT_GRANT:
                    assertion = form.get("assertion", "")
                    unverified = verify_jwt(assertion, None)   # whose org: then check its certificate
                    org, user = org_of(str(unverified.get("sub", "")), unverified.get("iss"))
                    claims = verify_jwt(assertion, org.option("jwt_public_key"))
                    check_client(org, claims.get("iss"), None, need_secret=False)
                    if claims.get("aud") not in (*JWT_AUDIENCES, sandbox.base_url):
                        raise OAuthError("invalid_grant", "audience is invalid")
                    try:
                        expired = float(claims.get("exp")) < sandbox.clock.now().timestamp()
                    except (TypeError, ValueError):
                        raise OAuthError("invalid_grant", "invalid assertion") from None
                    if expired:
                        raise OAuthError("invalid_grant", "expired authorization code")
                    if user is None:
                        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
                else:
                    raise OAuthError("unsupported_grant_type", "grant type not supported")
                token = state.sessions.issue(org.org_id, user["Id"])
        except OAuthError as exc:
            return exc.response()
        identity = f"{sandbox.base_url}/id/{org.org_id}/{user['Id']}"
        issued_at = str(int(sandbox.clock.now().timestamp() * 1000))
        return flask.jsonify({
            "access_token": token, "instance_url": org.instance_url, "id": identity,
            "token_type": "Bearer", "issued_at": issued_at,
            "signature": token_signature(org.option("client_secret"), identity, issued_at),
        })

    @bp.post("/services/Soap/u/<version>")
    def soap_login(version: str) -> Any:
        try:
            username, password, org_scope = parse_soap_login(flask.request.get_data())
        except ValueError:
            return soap_login_fault("INVALID_LOGIN", "Invalid username, password, security "
                                                     "token; or user locked out.")
        with sandbox.lock:
            org, user = org_of(username, None)
            if org_scope is not None and ids.normalize(org_scope) != org.org_id:
                user = None
            if not password_ok(org, user, password):
                return soap_login_fault()
            token = state.sessions.issue(org.org_id, user["Id"])
            org15 = org.org_id[:15]
            body = soap_login_response(
                server_url=f"{org.instance_url}/services/Soap/u/{version}/{org15}",
                metadata_url=f"{org.instance_url}/services/Soap/m/{version}/{org15}",
                session_id=token, user=user, org_id=org.org_id,
                org_name=org.org_name)
        return flask.Response(body, content_type="text/xml; charset=utf-8")

    @bp.get("/id/<org_id>/<user_id>")
    def identity(org_id: str, user_id: str) -> Any:
        try:
            session = state.sessions.session_for(flask.request.headers.get("Authorization"))
        except SalesforceError as exc:
            return exc.response()
        with sandbox.lock:
            org = state.org(session["org_id"])
            user = org.store.get("User", user_id)
            if user is None or ids.normalize(org_id) != org.org_id:
                return SalesforceError(404, "NOT_FOUND", "Bad_Id").response()
            base = org.instance_url   # the org's own host; the identity URL is the login host's
            return flask.jsonify({
                "id": f"{sandbox.base_url}/id/{org.org_id}/{user['Id']}",
                "asserted_user": True, "user_id": user["Id"], "organization_id": org.org_id,
                "username": user["Username"], "nick_name": user["Alias"],
                "display_name": user["Name"], "email": user["Email"],
                "first_name": user["FirstName"], "last_name": user["LastName"],
                "timezone": user["TimeZoneSidKey"], "active": user["IsActive"],
                "user_type": "STANDARD", "language": "en_US", "locale": "en_US",
                "urls": {"rest": f"{base}/services/data/v{{version}}/",
                         "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
                         "query": f"{base}/services/data/v{{version}}/query/",
                         "partner": f"{base}/services/Soap/u/{{version}}/{org.org_id[:15]}"},
            })


__all__ = ["register_login_routes"]
