"""Salesforce OAuth 2.0 flows: username-password, client credentials and JWT bearer.

We call the token endpoint ourselves rather than through simple-salesforce's login helpers:
those build ``https://{domain}.salesforce.com`` and cannot reach a My Domain with a port, a
proxy-fronted org or the sandbox. The SDK then gets the session id and instance URL it would
have obtained itself (``Salesforce(session_id=..., instance_url=...)``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

import requests

from adapters.errors import AuthError, CrmUnavailable, InvalidData

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class AuthStyle(str, Enum):
    PASSWORD = "password"
    CLIENT_CREDENTIALS = "client_credentials"
    JWT = "jwt"


# What each OAuth flow needs from the connected app and the user (the one table: the settings, the
# connection model and the adapter all check against it).
FLOW_NEEDS: dict[AuthStyle, tuple[str, ...]] = {
    AuthStyle.PASSWORD: ("client_id", "client_secret", "username", "password"),
    AuthStyle.CLIENT_CREDENTIALS: ("client_id", "client_secret"),
    AuthStyle.JWT: ("client_id", "username", "private_key"),   # the key itself, or a key file
}


@dataclass(frozen=True)
class Token:
    access_token: str
    instance_url: str                    # the org's own host: every REST call goes there
    identity_url: str | None = None      # https://login.salesforce.com/id/<org id>/<user id>

    @property
    def user_id(self) -> str | None:
        """Whom the session belongs to (the integration user), from the identity URL."""
        last = (self.identity_url or "").rstrip("/").rpartition("/")[2]
        return last if last.startswith("005") else None


@dataclass
class OAuthConfig:
    login_url: str                       # https://login.salesforce.com, test., or a My Domain
    style: AuthStyle
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    private_key: str | None = None       # PEM, for JWT bearer
    audience: str | None = None          # JWT "aud"; defaults from the login URL

    def check(self) -> None:
        missing = [name for name in FLOW_NEEDS[self.style] if not getattr(self, name)]
        if missing:
            raise ValueError(f"Salesforce {self.style.value} auth needs: {', '.join(missing)}")

    @property
    def token_url(self) -> str:
        return self.login_url.rstrip("/") + "/services/oauth2/token"

    def jwt_audience(self) -> str:
        if self.audience:
            return self.audience
        return ("https://test.salesforce.com" if "test.salesforce.com" in self.login_url
                else "https://login.salesforce.com")


def _jwt_assertion(config: OAuthConfig, now: float) -> str:
    import jwt  # PyJWT ships with simple-salesforce (its own JWT flow uses it)

    claims = {"iss": config.client_id, "sub": config.username, "aud": config.jwt_audience(),
              "exp": int(now) + 180}
    try:
        return jwt.encode(claims, config.private_key, algorithm="RS256")
    except (ValueError, TypeError) as exc:
        raise AuthError(f"cannot sign the JWT assertion with the configured key: {exc}") from None


def grant_body(config: OAuthConfig, now: Callable[[], float] = time.time) -> dict[str, Any]:
    if config.style is AuthStyle.PASSWORD:
        return {"grant_type": "password", "client_id": config.client_id,
                "client_secret": config.client_secret, "username": config.username,
                "password": (config.password or "") + (config.security_token or "")}
    if config.style is AuthStyle.CLIENT_CREDENTIALS:
        return {"grant_type": "client_credentials", "client_id": config.client_id,
                "client_secret": config.client_secret}
    return {"grant_type": JWT_GRANT, "assertion": _jwt_assertion(config, now())}


def fetch_token(session: requests.Session, config: OAuthConfig) -> Token:
    try:
        resp = session.post(config.token_url, data=grant_body(config),
                            headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise CrmUnavailable(f"Salesforce login failed: {exc}") from exc
    if resp.status_code >= 500:
        raise CrmUnavailable(f"Salesforce login answered {resp.status_code}", status=resp.status_code)
    try:
        body = resp.json()
    except ValueError:
        raise CrmUnavailable(f"Salesforce login answered {resp.status_code} without JSON",
                             status=resp.status_code) from None
    if resp.status_code != 200 or "access_token" not in body:
        # 400 {"error": "invalid_grant", "error_description": "authentication failure"}
        raise AuthError(f"Salesforce login refused: {body.get('error')}: "
                        f"{body.get('error_description')}", status=resp.status_code,
                        code=body.get("error"))
    if not body.get("instance_url"):
        raise InvalidData("Salesforce token answer has no instance_url")
    return Token(body["access_token"], body["instance_url"], body.get("id"))
