"""One typed description of a CRM connection per kind: the only place its options are listed.

The environment shorthand (``LEADROUTER_HUBSPOT_*``, ``LEADROUTER_SALESFORCE_*``), the
connections file (``LEADROUTER_CONNECTIONS_FILE``), the settings page form, the JSON API, the
demo and the tests all build one of these models; ``build_adapter(spec)`` turns it into the
adapter. Secrets are ``SecretStr`` (never printed) and marked ``secret`` for the form
(write-only fields). Every field carries its help text: the form and docs/connections.md read it.
"""
from __future__ import annotations

import enum
import re
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from pydantic import (BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError, ValidationInfo,
                      field_validator, model_validator)

from adapters.mapping import FIELD_TYPES, VIRTUAL_FIELDS, check_field_name
from adapters.salesforce_auth import FLOW_NEEDS, AuthStyle

NAME_PATTERN = r"^[a-z0-9_-]{1,64}$"
CANONICAL_FIELDS = tuple(sorted(set(FIELD_TYPES) - set(VIRTUAL_FIELDS)))


class CrmKind(str, enum.Enum):
    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"


def secret(description: str, **kwargs: Any) -> Any:
    """A write-only field: the form never shows its value, the log masks it."""
    return Field(None, description=description, json_schema_extra={"secret": True}, **kwargs)


def _http_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


class _Connection(BaseModel):
    """What every connection has, whatever its CRM."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(description="Lowercase letters, digits, - and _: used in webhook URLs, in reps' `crm:` "
                      "owner ids and in the log.")
    enabled: bool = Field(True, description="A disabled connection is neither polled nor written to.")
    poll_interval_seconds: int = Field(60, ge=5, le=86_400, description="How often the poller asks this CRM "
                                       "for unassigned records (a safety net beside webhooks).")
    backfill: Literal["now", "all"] | date = Field("now", description="Which records that exist before the "
                                                   "connection's first poll it routes: `now` (none: only "
                                                   "records created or changed from then on), `all`, or an ISO "
                                                   "date (since then). `python app.py backfill` queues older "
                                                   "ones on demand.")
    ca_bundle: Path | None = Field(None, description="CA bundle to trust (a TLS-inspecting proxy, the sandbox).")
    timeout: float = Field(30.0, gt=0, le=300, description="Seconds before a CRM call gives up (then it is retried).")
    max_attempts: int = Field(4, ge=1, le=10, description="Attempts per CRM call on 5xx, 429 and timeouts.")
    base_wait: float = Field(0.5, gt=0, le=60, description="Seconds before the first retry of a CRM call "
                             "(doubling, with jitter).")
    max_wait: float = Field(30.0, gt=0, le=600, description="Longest wait between two retries of a CRM call.")
    fields: dict[str, str | None] = Field(default_factory=dict, description="Canonical lead field -> CRM field "
                                          f"(`null` unmaps it). Canonical fields: {', '.join(CANONICAL_FIELDS)}.")
    extra_fields: list[str] = Field(default_factory=list, description="More CRM fields to read (custom fields): "
                                    "rules see them as `raw.<field>`.")
    closed_statuses: list[str] = Field(default_factory=list, description="Values of the mapped `status` field "
                                       "(Salesforce Lead: `Status`) that no longer count toward a rep's open load.")
    settle_seconds: float = Field(0, ge=0, le=3600, description="Wait this long after a record is created before "
                                  "routing it (lets the CRM's own automation fill fields first).")
    recheck_before_write: bool = Field(True, description="Re-read each record's owner right before writing and "
                                       "skip records a person has assigned meanwhile.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.match(NAME_PATTERN, value):
            raise ValueError("lowercase letters, digits, - and _ only, at most 64 (it appears in the webhook URL)")
        return value

    @field_validator("fields")
    @classmethod
    def _known_canonical(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        unknown = sorted(set(value) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(f"unknown canonical field(s) {', '.join(unknown)}; known: {', '.join(CANONICAL_FIELDS)}")
        return value

    @model_validator(mode="after")
    def _field_names(self):
        for crm_field in [*(f for f in self.fields.values() if f), *self.extra_fields]:
            check_field_name(self.kind.value, crm_field)  # ValueError names the bad one
        return self

    def first_poll_since(self, connected_at: datetime) -> datetime | None:
        """Where a new connection's first poll starts (``backfill``): None means every record."""
        if self.backfill == "all":
            return None
        if self.backfill == "now":
            return connected_at
        return datetime.combine(self.backfill, time.min, tzinfo=timezone.utc)

    # -- what the adapter takes ------------------------------------------------------------------
    def secrets(self) -> dict[str, str]:
        """The secret values, for the adapter only."""
        out = {}
        for name, info in type(self).model_fields.items():
            if (info.json_schema_extra or {}).get("secret"):
                value = getattr(self, name)
                if value is not None:
                    out[name] = value.get_secret_value()
        return out

    def adapter_settings(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"name", "kind", "enabled", "poll_interval_seconds", "fields",
                                                     "backfill", *self.secret_names()}, exclude_none=True)
        if self.fields:
            data["field_overrides"] = dict(self.fields)
        return data

    def public(self) -> dict[str, Any]:
        """Everything but the secrets (pages, API, audit log); secrets say only whether they are set."""
        data = self.model_dump(mode="json", exclude=set(self.secret_names()))
        data.update({name: getattr(self, name) is not None for name in self.secret_names()})
        return data

    @classmethod
    def secret_names(cls) -> list[str]:
        return [n for n, f in cls.model_fields.items() if (f.json_schema_extra or {}).get("secret")]


class HubSpotConnection(_Connection):
    kind: Literal[CrmKind.HUBSPOT] = Field(CrmKind.HUBSPOT, description="`hubspot`")
    token: SecretStr = Field(description="Private app access token (Settings → Integrations → Private apps).",
                             json_schema_extra={"secret": True})
    app_secret: SecretStr | None = secret("App client secret: verifies webhook signatures (v3, v2, v1).")
    base_url: str = Field("https://api.hubapi.com", description="API host; keep the default unless you test "
                          "against the sandbox.")
    portal_id: str | None = Field(None, pattern=r"^\d{1,20}$", description="Account (portal) id, for record "
                                  "links in notifications: the number in your HubSpot URLs.")
    object: Literal["contacts", "leads"] = Field("contacts", description="What gets routed: `contacts`, or "
                                                 "`leads` (the HubSpot Leads object).")
    sync_contact_owner: bool = Field(False, description="With `object: leads`: also write the routed owner "
                                     "on each lead's primary contact (replacing the contact's owner). "
                                     "Ignored for contacts.")
    converted_stages: list[str] = Field(["opportunity", "customer"], description="Lifecycle stages that count "
                                        "as converted (outcomes).")
    won_statuses: list[str] = Field(["OPEN_DEAL", "qualified-stage-id"], description="Values of the mapped "
                                    "`status` (`hs_lead_status`; Leads: `hs_pipeline_stage`) that count as won "
                                    "(outcomes: conversion), beside `converted_stages`.")
    lost_statuses: list[str] = Field(["UNQUALIFIED", "unqualified-stage-id"], description="Values of the mapped "
                                     "`status` that count as lost or disqualified (outcomes: loss).")
    page_size: int = Field(200, ge=1, le=200, description="Records per search page (HubSpot's maximum is 200).")
    ten_second_max: int = Field(100, ge=1, le=1000, description="Requests per rolling ten seconds this app may "
                                "send (your private app's burst limit: 100 on most plans, 190 on some).")
    search_per_second: int = Field(4, ge=1, le=20, description="Search requests per second (HubSpot allows 5 "
                                   "per account; keep one for other tools).")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _http_url(value)

    def adapter_settings(self) -> dict[str, Any]:
        data = super().adapter_settings()
        data["object_type"] = data.pop("object")
        return data


class SalesforceConnection(_Connection):
    kind: Literal[CrmKind.SALESFORCE] = Field(CrmKind.SALESFORCE, description="`salesforce`")
    url: str = Field(description="Login or My Domain URL, e.g. `https://login.salesforce.com`.")
    auth: AuthStyle | None = Field(None, description="OAuth flow: `password`, `jwt` or `client_credentials`. "
                                   "Default: `jwt` with a key file, `password` with a password, else client "
                                   "credentials.")
    client_id: str | None = Field(None, description="Connected app consumer key.")
    client_secret: SecretStr | None = secret("Connected app consumer secret.")
    username: str | None = Field(None, description="Integration user (password and JWT flows).")
    password: SecretStr | None = secret("Integration user's password (+ security token if the org needs one).")
    jwt_key_file: Path | None = Field(None, description="Private key file for the OAuth JWT bearer flow.")
    private_key: SecretStr | None = secret("The JWT private key itself (PEM), instead of `jwt_key_file`.")
    security_token: SecretStr | None = secret("The user's security token, if the org requires one and it is not "
                                              "already appended to the password.")
    jwt_audience: str | None = Field(None, description="JWT `aud`; default: from the login URL "
                                     "(login.salesforce.com or test.salesforce.com).")
    api_version: str = Field("59.0", pattern=r"^\d{2}\.0$", description="REST API version.")
    org_id: str | None = Field(None, pattern=r"^00D[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$",
                               description="Org id (00D…) outbound messages must carry.")
    intake_queues: list[str] = Field(default_factory=list, description="With `object: Lead`: queues (names or "
                                     "00G ids) holding unassigned leads. Default: any queue.")
    intake_owners: list[str] = Field(default_factory=list, description="With `object: Contact`: users "
                                     "(usernames or 005 ids) whose contacts are unassigned, waiting to be routed "
                                     "(queues cannot own contacts). Default: the integration user leadrouter "
                                     "logs in as.")
    object: Literal["Lead", "Contact"] = Field("Lead", validate_default=True, description="What gets routed: `Lead`, or `Contact` "
                                               "(unassigned: owned by an intake owner; a Contact has no "
                                               "`Status`: map `status` to a field of yours to use "
                                               "`closed_statuses`).")
    won_statuses: list[str] = Field(["Closed - Converted"], description="Values of the mapped `status` that count "
                                    "as won (outcomes: conversion), beside a converted Lead (`IsConverted`).")
    lost_statuses: list[str] = Field(["Closed - Not Converted"], description="Values of the mapped `status` that "
                                     "count as lost or disqualified (outcomes: loss).")
    cursor_field: Literal["SystemModstamp", "CreatedDate"] = Field("SystemModstamp", description="Field the "
                                                                   "poller's cursor follows.")
    duplicate_objects: list[Literal["Lead", "Contact"]] = Field(["Lead", "Contact"], description="Objects "
                                                                "searched for duplicates of a new lead.")
    page_size: int = Field(2000, ge=200, le=2000, description="Records per poll page.")
    query_batch_size: int | None = Field(None, ge=200, le=2000, description="Records per SOQL result batch "
                                         "(the `Sforce-Query-Options: batchSize` header); default Salesforce's 2000.")
    rate_limit_wait: float = Field(5.0, ge=0, le=300, description="Seconds to wait when Salesforce says the "
                                   "org's request limit is exceeded, before retrying.")

    @field_validator("url")
    @classmethod
    def _login_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("intake_owners")
    @classmethod
    def _users(cls, value: list[str]) -> list[str]:
        for owner in value:
            if not (re.match(r"^005[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$", owner) or re.match(r"^[^@\s]+@[^@\s]+$", owner)):
                raise ValueError(f"{owner!r} is neither a user id (005…) nor a username (name@domain)")
        return value

    @field_validator("object")
    @classmethod
    def _object_keys(cls, value: str, info: ValidationInfo) -> str:
        given = info.data
        if value == "Contact" and given.get("intake_queues"):
            raise ValueError("Contacts take intake_owners, not intake_queues: queues cannot own contacts")
        if value == "Lead" and given.get("intake_owners"):
            raise ValueError("Leads take intake_queues, not intake_owners (unassigned leads sit in queues)")
        if value == "Contact" and given.get("closed_statuses") and not (given.get("fields") or {}).get("status"):
            raise ValueError("closed_statuses on Contacts needs fields.status: a Contact has no Status field")
        return value

    @model_validator(mode="after")
    def _flow(self):
        style = self.auth_style
        need = [("jwt_key_file" if name == "private_key" and not self.private_key else name)
                for name in FLOW_NEEDS[style]]
        missing = [name for name in need if not getattr(self, name)]
        if missing:
            raise ValueError(f"the {style.value.replace('_', ' ')} login needs {', '.join(missing)}")
        return self

    @property
    def auth_style(self) -> AuthStyle:
        if self.auth is not None:
            return self.auth
        if self.jwt_key_file or self.private_key:
            return AuthStyle.JWT
        return AuthStyle.PASSWORD if self.password else AuthStyle.CLIENT_CREDENTIALS

    def adapter_settings(self) -> dict[str, Any]:
        data = super().adapter_settings()
        data["auth"] = self.auth_style.value
        return data


ConnectionSpec = Annotated[Union[HubSpotConnection, SalesforceConnection], Field(discriminator="kind")]
MODELS: dict[CrmKind, type[_Connection]] = {CrmKind.HUBSPOT: HubSpotConnection,
                                            CrmKind.SALESFORCE: SalesforceConnection}
_SPEC = TypeAdapter(ConnectionSpec)


def parse_spec(data: dict[str, Any]) -> HubSpotConnection | SalesforceConnection:
    """One connection from plain data; raises ``ValidationError`` (a ``ValueError``)."""
    return _SPEC.validate_python(data)


def problems(exc: ValidationError, prefix: str = "") -> list[str]:
    """Each problem of a validation error as ``path: message`` (``connections[1].auth: …``)."""
    out = []
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if part not in ("hubspot", "salesforce")]
        path = prefix
        for part in loc:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "unknown key"
        out.append(f"{path}: {message}" if path else message)
    return out


def reference_rows(model: type[BaseModel], skip: frozenset[str] = frozenset()) -> list[str]:
    """The Markdown table rows of docs/connections.md for ``model`` (a test keeps them equal)."""
    from pydantic_core import PydanticUndefined

    rows = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        default = info.default_factory() if info.default_factory is not None else info.default
        if default is PydanticUndefined:
            shown = "required"
        elif default in (None, [], {}):
            shown = "—"
        else:
            shown = f"`{default.value if isinstance(default, enum.Enum) else default}`"
        meaning = info.description or ""
        if (info.json_schema_extra or {}).get("secret"):
            meaning = "**Secret**: `${VAR}` in the file, write-only on the page. " + meaning
        rows.append(f"| `{name}` | {shown} | {meaning} |")
    return rows


def reference() -> dict[str, list[str]]:
    common = frozenset(_Connection.model_fields)
    return {"every connection": reference_rows(_Connection),
            "hubspot": reference_rows(HubSpotConnection, common),
            "salesforce": reference_rows(SalesforceConnection, common)}


__all__ = ["CANONICAL_FIELDS", "ConnectionSpec", "CrmKind", "HubSpotConnection", "MODELS", "NAME_PATTERN",
           "SalesforceConnection", "parse_spec", "problems"]
