"""Typed settings from the environment (prefix ``LEADROUTER_``) and an optional ``.env``.

Every setting is documented in README.md's configuration table; ``SETTINGS_DOC`` below is the
source of that table (a test keeps the two in agreement). Secrets are ``SecretStr``: their repr,
str and log lines show ``**********``; code reads them with ``.get_secret_value()`` only where a
CRM or SMTP call needs them.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "LEADROUTER_"


class LogFormat(str, enum.Enum):
    TEXT = "text"
    JSON = "json"


class DemoMode(str, enum.Enum):
    AUTO = "auto"  # start the demo CRM when no real CRM is configured
    ON = "on"
    OFF = "off"


class SettingsError(Exception):
    """A setting is missing or invalid; ``str(err)`` is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    # Core
    var_dir: Path = Field(ROOT / "var", description="Folder for the SQLite file, generated keys and artifacts.")
    database_url: str = Field("", description="SQLAlchemy URL. Default: SQLite file `var/leadrouter.db`. "
                              "Production: `postgresql+psycopg://user:pass@host/db`.")
    secret_key: SecretStr | None = Field(None, description="Signs web sessions and CSRF tokens. "
                                         "Default: generated into `var/secret_key` on first start.")
    encryption_key: SecretStr | None = Field(None, description="Fernet key encrypting CRM secrets at rest "
                                             "(comma-separated to rotate: newest first). Default: generated "
                                             "into `var/encryption.key` on first start.")
    base_url: str = Field("http://127.0.0.1:8000", description="Public URL of this app, used in webhook URLs "
                          "and links in notifications.")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: LogFormat = Field(LogFormat.TEXT, description="`text` or `json` (one JSON object per line).")
    demo: DemoMode = Field(DemoMode.AUTO, description="`auto` starts the demo CRM sandbox when no CRM is "
                           "configured; `on` always; `off` never.")
    routing_config: Path | None = Field(None, description="Routing config file (YAML/JSON) loaded at start; "
                                        "a bad file stops start-up with the engine's errors.")
    connections_file: Path | None = Field(None, description="CRM connections file (YAML, see "
                                          "docs/connections.md): any number of HubSpot portals and Salesforce "
                                          "orgs; secrets as `${VAR}` references. A bad file stops start-up "
                                          "listing every problem.")
    poll_interval_seconds: int = Field(60, ge=5, le=86_400, description="How often pollers ask each CRM for "
                                       "unassigned leads.")

    inbound_secret: SecretStr | None = Field(None, description="Signs `POST /webhooks/inbound/<connection>` "
                                             "(HMAC-SHA256 of `<timestamp>.<body>`, see Doors); unset = that "
                                             "door is closed.")
    worker_batch_size: int = Field(100, ge=1, le=1000, description="Inbox rows a worker claims at once "
                                   "(one CRM read and one write call per batch).")
    claim_lease_seconds: int = Field(30, ge=2, le=3600, description="How long a worker's claim on inbox rows "
                                     "lasts without its heartbeat (renewed every third of it while the worker "
                                     "lives); a killed worker's leads are taken over after this.")
    write_max_attempts: int = Field(8, ge=1, le=50, description="Owner write attempts (exponential backoff, "
                                    "about an hour for 8) before a lead goes to the dead letters.")
    roster_sync_seconds: int = Field(300, ge=5, description="How often CRM users/owners are synced "
                                     "(deactivated users stop getting leads).")
    reconcile_seconds: int = Field(3600, ge=60, description="How often open-lead counts are reconciled "
                                   "with the CRM.")
    sla_check_seconds: int = Field(60, ge=1, le=3600, description="How often the SLA ladder is checked "
                                   "(reminders, re-routes, escalations are due at most this late).")
    metrics_token: SecretStr | None = Field(None, description="Bearer token `GET /metrics` (Prometheus format) "
                                            "requires; unset = it answers loopback clients only, never a "
                                            "proxied request.")

    # HubSpot
    hubspot_token: SecretStr | None = Field(None, description="HubSpot private-app access token.")
    hubspot_app_secret: SecretStr | None = Field(None, description="HubSpot app client secret (webhook signatures).")
    hubspot_base_url: str = Field("https://api.hubapi.com", description="HubSpot API host (the sandbox's URL in tests).")
    hubspot_portal_id: str | None = Field(None, description="HubSpot account (portal) id, for record links "
                                          "in notifications.")
    hubspot_ca_bundle: Path | None = Field(None, description="CA bundle to trust for HubSpot (corporate proxy, sandbox).")

    # Salesforce
    salesforce_url: str | None = Field(None, description="Salesforce login or instance URL, e.g. "
                                       "`https://login.salesforce.com`.")
    salesforce_client_id: str | None = Field(None, description="Connected app consumer key.")
    salesforce_client_secret: SecretStr | None = Field(None, description="Connected app consumer secret.")
    salesforce_username: str | None = Field(None, description="Integration user (password or JWT flow; "
                                            "without a password or key file, client credentials are used).")
    salesforce_password: SecretStr | None = Field(None, description="Integration user's password "
                                                  "(+ security token if the org needs one).")
    salesforce_jwt_key_file: Path | None = Field(None, description="Private key for the OAuth JWT bearer flow.")
    salesforce_ca_bundle: Path | None = Field(None, description="CA bundle to trust (corporate proxy, sandbox).")
    salesforce_intake_queue: str | None = Field(None, description="Queue (name or 00G id) holding unassigned "
                                                "leads. Default: any queue.")
    salesforce_api_version: str = Field("59.0", description="Salesforce REST API version.")
    salesforce_org_id: str | None = Field(None, description="Org id (00D…) outbound messages must carry; "
                                          "messages from another org are refused.")

    # Notifications
    slack_bot_token: SecretStr | None = Field(None, description="Slack bot token (`xoxb-…`).")
    slack_signing_secret: SecretStr | None = Field(None, description="Slack signing secret (interactivity).")
    slack_base_url: str = Field("https://slack.com/api/", description="Slack Web API base (the sandbox in tests).")
    slack_ca_bundle: Path | None = Field(None, description="CA bundle to trust for Slack (corporate proxy, sandbox).")
    smtp_url: SecretStr | None = Field(None, description="`smtp://user:pass@host:587` (STARTTLS) or "
                                       "`smtps://…:465`.")
    email_from: str = Field("leadrouter@localhost", description="From address of notification emails.")
    smtp_ca_bundle: Path | None = Field(None, description="CA bundle to trust for the SMTP server's TLS.")
    notify_templates_dir: Path | None = Field(None, description="Folder of Jinja templates overriding the "
                                              "built-in notification texts (same file names).")

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("base_url", "hubspot_base_url", "slack_base_url", "salesforce_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") + ("/" if value.endswith("/") else "")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.split(":", 1)[0].split("+", 1)[0] in {"sqlite", "postgresql"}:
            raise ValueError("must start with sqlite:// or postgresql://")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the installed driver; SQLAlchemy's default for plain postgresql:// is psycopg2.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and urlsplit(value.get_secret_value()).scheme not in {"smtp", "smtps"}:
            raise ValueError("must be an smtp:// or smtps:// URL")
        return value

    @model_validator(mode="after")
    def _defaults_and_pairs(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'leadrouter.db').resolve()}"
        if self.salesforce_url:
            from adapters.salesforce_auth import FLOW_NEEDS, AuthStyle

            style = self.salesforce_auth_style
            need = [("jwt_key_file" if name == "private_key" else name) for name in FLOW_NEEDS[AuthStyle(style)]]
            for name in need:
                if not getattr(self, f"salesforce_{name}"):
                    raise ValueError(f"{ENV_PREFIX}SALESFORCE_{name.upper()} is required for the Salesforce "
                                     f"{style.replace('_', ' ')} login (LEADROUTER_SALESFORCE_URL is set)")
        return self

    # -- derived -----------------------------------------------------------------------------
    @property
    def salesforce_auth_style(self) -> str:
        """JWT bearer when a key file is set, username-password when a password is, else client
        credentials (all three are OAuth 2.0 flows of the connected app)."""
        if self.salesforce_jwt_key_file:
            return "jwt"
        return "password" if self.salesforce_password else "client_credentials"

    @property
    def crm_configured(self) -> bool:
        return bool(self.hubspot_token or self.salesforce_url or self.connections_file)

    def secret_values(self) -> list[str]:
        """Every secret value set, for the log redaction filter."""
        values = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                values.append(value.get_secret_value())
        return values


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build settings from the environment (+ ``overrides``), or raise ``SettingsError`` with one line."""
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = [str(part) for part in first.get("loc", ()) if part != "__root__"]
    message = first.get("msg", "invalid").removeprefix("Value error, ")
    if not loc:  # a model-level check already names its variables
        return f"invalid settings: {message}"
    return f"invalid setting {ENV_PREFIX}{loc[0].upper()}: {message}"


def settings_doc() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting: the README's configuration table."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        if name == "var_dir":
            shown = "`./var`"
        elif default is None or default == "":
            shown = "—"
        elif isinstance(default, enum.Enum):
            shown = f"`{default.value}`"
        else:
            shown = f"`{default}`"
        rows.append((ENV_PREFIX + name.upper(), shown, field.description or ""))
    return rows
