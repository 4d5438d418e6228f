"""One HubSpot portal (account, "hub"): its private app (access token, client secret, app id,
webhook target URL), its CRM records, owners, custom properties, API limits and webhooks.

A private app's access token belongs to the one account it was created in: every call made
with it reads and writes that account's data and counts against that account's limits
(developers.hubspot.com/docs/api/private-apps); webhook events of the app carry the account's
``portalId``. Record and owner ids are the account's own: two accounts may both hold a contact
1001. The sandbox serves every portal on one host and picks the portal from the token.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from sandbox.hubspot.owners import Owner, OwnerDirectory
from sandbox.hubspot.properties import OBJECT_TYPE_IDS, PropType
from sandbox.hubspot.ratelimit import RateLimiter
from sandbox.hubspot.search import SearchLimits
from sandbox.hubspot.store import Crm, Record
from sandbox.hubspot.webhooks import WebhookDispatcher

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.demo import DemoOrg

ADMIN_USER_ID = 7_000_001   # the portal admin who "clicks" in the CRM UI
SEEDED_AT = datetime(2023, 1, 9, 9, 0, tzinfo=timezone.utc)
# The demo portal's custom contact properties (Settings -> Properties), as an admin creates them.
DEMO_CONTACT_PROPERTIES = (("segment", PropType.ENUM, "Segment", ("SMB", "Mid-Market", "Enterprise")),
                           ("product_interest", PropType.STRING, "Product interest", ()))


class Portal:
    """Everything one HubSpot account holds. ``token``/``app_secret`` may be callables (the
    default portal reads them from the sandbox options, which tests may change)."""

    def __init__(self, sandbox: Any, *, portal_id: int, app_id: int, token: str | Callable[[], str],
                 app_secret: str | Callable[[], str], owner_base: int = 61_000_001,
                 user_base: int = 7_100_001, team_id: str = "4500001", name: str | None = None) -> None:
        self.sandbox = sandbox
        self.portal_id, self.app_id = int(portal_id), int(app_id)
        self.name = name
        self._token, self._app_secret = token, app_secret
        self.owner_base, self.user_base, self.team_id = owner_base, user_base, team_id
        self.owners = OwnerDirectory()
        self.crm = Crm(sandbox.clock, self.owners.active_id)
        self.crm.listeners.append(self._on_change)
        self.limiter = RateLimiter(sandbox.clock)
        self.search_limits = SearchLimits()
        self.webhooks = WebhookDispatcher(sandbox, portal_id=self.portal_id, app_id=self.app_id,
                                          secret=self.app_secret)

    @property
    def token(self) -> str:
        return self._token() if callable(self._token) else self._token

    @property
    def app_secret(self) -> str:
        return self._app_secret() if callable(self._app_secret) else self._app_secret

    def reset(self, *, webhook_url: str | None = None) -> None:
        options = self.sandbox.options
        self.crm.reset()
        self.owners.reset()
        self.limiter.reset()
        self.limiter.configure(ten_second_max=options["hubspot_ten_second_limit"],
                               search_per_second=options["hubspot_search_per_second"],
                               daily_max=options["hubspot_daily_limit"])
        self.search_limits = SearchLimits()
        self.webhooks.secret = self.app_secret
        self.webhooks.reset(url=webhook_url)

    def set_portal_id(self, portal_id: int) -> None:
        self.portal_id = self.webhooks.portal_id = int(portal_id)

    # -- seeding ---------------------------------------------------------------------------
    def seed(self, org: "DemoOrg") -> None:
        """The demo org's sales team as this portal's owners (ids from this portal's ranges),
        its custom contact properties and its companies."""
        for name, kind, label, options in DEMO_CONTACT_PROPERTIES:
            self.crm.declare_property("contacts", name, kind, label=label, options=options)
        team = {"id": self.team_id, "name": org.team_name, "primary": True}
        for index, rep in enumerate(org.all_reps):
            self.owners.add(Owner(id=str(self.owner_base + index), email=rep.email,
                                  first_name=rep.first_name, last_name=rep.last_name,
                                  user_id=self.user_base + index, created_at=SEEDED_AT,
                                  updated_at=SEEDED_AT, teams=[dict(team)],
                                  archived=not rep.active, key=rep.key))
        for company in org.companies:
            owner = self.owners.by_key(company.owner)
            props = {"name": company.name, "domain": company.domain,
                     "website": f"https://www.{company.domain}", "industry": company.industry,
                     "numberofemployees": company.employees, "country": company.country,
                     "state": company.state, "hubspot_owner_id": owner.id if owner else None}
            self.crm.create("companies", {k: v for k, v in props.items() if v is not None},
                            source="IMPORT")

    def describe(self, base_url: str) -> dict:
        return {"portal_id": self.portal_id, "name": self.name, "api_base": base_url,
                "token": self.token, "app_id": self.app_id, "app_secret": self.app_secret,
                "webhook_url": self.webhooks.settings.url,
                "owners": [{"id": o.id, "userId": o.user_id, "email": o.email, "key": o.key,
                            "archived": o.archived} for o in self.owners.owners.values()],
                "contacts": len(self.crm.store("contacts").records),
                "leads": len(self.crm.store("leads").records)}

    # -- webhooks --------------------------------------------------------------------------
    def _on_change(self, object_type: str, record: Record, changes: dict, source: str) -> None:
        if object_type not in ("contacts", "leads"):
            return
        if source == "CRM_UI":
            change_source, source_id = "CRM_UI", f"userId:{ADMIN_USER_ID}"
        else:
            change_source, source_id = ("INTEGRATION", str(self.app_id)) if source == "API" \
                else (source, None)
        # Contacts: the legacy contact.* subscriptions. Leads only exist as generic object.*
        # subscriptions, whose events carry the objectTypeId (0-136).
        prefix, extra = ("contact", {}) if object_type == "contacts" else \
            ("object", {"objectTypeId": OBJECT_TYPE_IDS[object_type]})
        if changes.get("__created__"):
            self.webhooks.emit(f"{prefix}.creation", record.id, change_source=change_source,
                               source_id=source_id, changeFlag="CREATED", **extra)
            changes = {"hubspot_owner_id": record.properties.get("hubspot_owner_id")} \
                if record.properties.get("hubspot_owner_id") else {}
        if "hubspot_owner_id" in changes:
            self.webhooks.emit(f"{prefix}.propertyChange", record.id, change_source=change_source,
                               source_id=source_id, propertyName="hubspot_owner_id",
                               propertyValue=changes["hubspot_owner_id"] or "", **extra)
