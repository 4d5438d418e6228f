"""Salesforce authentication: OAuth 2.0 token endpoint (password, client credentials, JWT
bearer), the SOAP partner login simple-salesforce uses for username+password+security token,
and bearer sessions that can be expired on demand."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading

from xml.sax.saxutils import escape

import flask
from defusedxml import ElementTree

from sandbox.salesforce.errors import session_invalid

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER_NS = "urn:partner.soap.sforce.com"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description = error, description

    def response(self) -> flask.Response:
        resp = flask.jsonify({"error": self.error, "error_description": self.description})
        resp.status_code = 400
        return resp


class Sessions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, dict] = {}

    def issue(self, org_id: str, user_id: str) -> str:
        token = f"{org_id[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self._sessions[token] = {"user_id": user_id, "org_id": org_id, "expired": False}
        return token

    def session_for(self, authorization: str | None) -> dict:
        """The live session of an ``Authorization: Bearer`` header: {user_id, org_id}."""
        if not authorization or not authorization.lower().startswith(("bearer ", "oauth ")):
            raise session_invalid()
        token = authorization.split(None, 1)[1].strip()
        with self._lock:
            session = self._sessions.get(token)
        if session is None or session["expired"]:
            raise session_invalid()
        return dict(session)

    def user_for(self, authorization: str | None) -> str:
        return self.session_for(authorization)["user_id"]

    def expire_all(self) -> int:
        with self._lock:
            for session in self._sessions.values():
                session["expired"] = True
            return len(self._sessions)

    def reset(self) -> None:
        with self._lock:
            self._sessions.clear()


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_jwt(assertion: str, public_pem: str | bytes | None) -> dict:
    """Claims of an RS256 JWT; the signature is checked when a certificate/public key is set."""
    try:
        header_b64, payload_b64, signature_b64 = assertion.split(".")
        header = json.loads(_b64url_decode(header_b64))
        claims = json.loads(_b64url_decode(payload_b64))
    except (ValueError, TypeError):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if header.get("alg") != "RS256" or not isinstance(claims, dict):
        raise OAuthError("invalid_grant", "invalid assertion")
    if public_pem:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        pem = public_pem.encode() if isinstance(public_pem, str) else public_pem
        if b"CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
        try:
            key.verify(_b64url_decode(signature_b64), f"{header_b64}.{payload_b64}".encode(),
                       padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise OAuthError("invalid_grant", "invalid signature") from None
    return claims


def token_signature(secret: str, identity_url: str, issued_at: str) -> str:
    digest = hmac.new(secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def parse_soap_login(body: bytes) -> tuple[str, str, str | None]:
    """(username, password, LoginScopeHeader organizationId) from a partner login request."""
    try:
        root = ElementTree.fromstring(body)
    except Exception:  # defusedxml raises several parse/forbidden-construct errors
        raise ValueError("not XML") from None
    login = root.find(f".//{{{PARTNER_NS}}}login")
    if login is None:
        raise ValueError("no login element")
    username = login.findtext(f"{{{PARTNER_NS}}}username") or ""
    password = login.findtext(f"{{{PARTNER_NS}}}password") or ""
    org = root.findtext(f".//{{{PARTNER_NS}}}organizationId")
    return username, password, org


def soap_login_response(*, server_url: str, metadata_url: str, session_id: str, user: dict,
                        org_id: str, org_name: str, valid_seconds: int = 7200) -> str:
    e = lambda v: escape(str(v))  # noqa: E731
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns="{PARTNER_NS}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<soapenv:Body><loginResponse><result>'
        f'<metadataServerUrl>{e(metadata_url)}</metadataServerUrl>'
        '<passwordExpired>false</passwordExpired><sandbox>false</sandbox>'
        f'<serverUrl>{e(server_url)}</serverUrl><sessionId>{e(session_id)}</sessionId>'
        f'<userId>{e(user["Id"])}</userId><userInfo>'
        '<accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol>'
        '<orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit>'
        '<orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode>'
        '<orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments>'
        '<orgHasPersonAccounts>false</orgHasPersonAccounts>'
        f'<organizationId>{e(org_id)}</organizationId>'
        '<organizationMultiCurrency>false</organizationMultiCurrency>'
        f'<organizationName>{e(org_name)}</organizationName>'
        '<profileId>00e5g000000AbcdAAA</profileId><roleId xsi:nil="true"/>'
        f'<sessionSecondsValid>{valid_seconds}</sessionSecondsValid>'
        f'<userDefaultCurrencyIsoCode xsi:nil="true"/><userEmail>{e(user["Email"])}</userEmail>'
        f'<userFullName>{e(user["Name"])}</userFullName><userId>{e(user["Id"])}</userId>'
        '<userLanguage>en_US</userLanguage><userLocale>en_US</userLocale>'
        f'<userName>{e(user["Username"])}</userName>'
        f'<userTimeZone>{e(user.get("TimeZoneSidKey") or "America/Los_Angeles")}</userTimeZone>'
        '<userType>Standard</userType><userUiSkin>Theme3</userUiSkin>'
        '</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>')


def soap_login_fault(code: str = "INVALID_LOGIN",
                     message: str = "Invalid username, password, security token; or user "
                                    "locked out.") -> flask.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f'<faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>'
        '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
        f'<sf:exceptionCode>{code}</sf:exceptionCode>'
        f'<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>'
        '</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>')
    return flask.Response(body, status=500, content_type="text/xml; charset=utf-8")


__all__ = ["Sessions", "OAuthError", "verify_jwt", "token_signature", "parse_soap_login",
           "soap_login_response", "soap_login_fault", "JWT_GRANT", "JWT_AUDIENCES"]
