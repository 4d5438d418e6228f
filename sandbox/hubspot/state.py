"""HubSpot's state in the sandbox: its portals (the seeded default portal and any added one,
each with its own private-app token, owners and records), which portal a request is for, and
what happens in a portal outside the API (a web form creating a contact, a rep's first activity).
The routes (sandbox.hubspot.api, .associations, .owners, .properties_api, .control) take this
state; each request is served by the portal its private-app token belongs to, and the control
plane picks one with ``?portal_id=`` (default: the seeded portal)."""
from __future__ import annotations

import hmac
import itertools
import uuid
from datetime import datetime

from sandbox.hubspot.portal import Portal
from sandbox.hubspot.properties import iso
from sandbox.hubspot.store import Record
from sandbox.vendor import VendorState, addressed

APP_ID = 1512050
DEFAULT_PORTAL_ID = 24681357

# Generator lead source -> HubSpot's hs_analytics_source options.
ANALYTICS_SOURCES = {"Web": "ORGANIC_SEARCH", "Phone Inquiry": "OFFLINE",
                     "Partner Referral": "REFERRALS", "Purchased List": "OFFLINE",
                     "Other": "OTHER_CAMPAIGNS"}
# Canonical generator field -> contact property.
CONTACT_FIELDS = {"first_name": "firstname", "last_name": "lastname", "email": "email",
                  "phone": "phone", "title": "jobtitle", "company": "company", "website": "website",
                  "industry": "industry", "employees": "numberofemployees", "country": "country",
                  "state": "state", "city": "city", "zip": "zip", "annual_revenue": "annualrevenue",
                  # the demo portal's custom contact properties (declared by seed_demo)
                  "segment": "segment", "product_interest": "product_interest"}


# Extra portals: account ids, app ids and owner / user id ranges of their own.
EXTRA_PORTAL_IDS = 146_000_001
REGIONS = ("na1", "na2", "eu1", "ap1")   # HubSpot data-hosting regions, named in private-app tokens


class HubSpotState(VendorState):
    """HubSpot's state, for one or more portals (sandbox.hubspot.portal)."""

    def __init__(self, sandbox) -> None:
        super().__init__(sandbox)
        self.default = Portal(sandbox, portal_id=DEFAULT_PORTAL_ID, app_id=APP_ID,
                              token=lambda: self.sandbox.options["hubspot_token"],
                              app_secret=lambda: self.sandbox.options["hubspot_app_secret"])
        self.portals: dict[int, Portal] = {self.default.portal_id: self.default}
        self._extra_ids = itertools.count(1)
        self.reset()

    # -- which portal ----------------------------------------------------------------------
    def current(self) -> Portal:
        """The portal of this request: its token's, else the one a control call names with
        ``?portal_id=``, else the default (seeded) portal."""
        return addressed("hubspot_portal", "portal_id", self.portal, self.default)

    def portal(self, portal_id: int | str) -> Portal:
        try:
            return self.portals[int(portal_id)]
        except (KeyError, ValueError):
            raise KeyError(f"no HubSpot portal {portal_id}; portals: {sorted(self.portals)}") from None

    def portal_for_token(self, token: str) -> Portal | None:
        for portal in list(self.portals.values()):
            if token and hmac.compare_digest(token.encode(), portal.token.encode()):
                return portal
        return None

    def add_portal(self, *, portal_id: int | None = None, token: str | None = None,
                   app_secret: str | None = None, region: str = "na1", name: str | None = None,
                   webhook_url: str | None = None, seed: str | None = "demo", leads: int = 0) -> Portal:
        """Another HubSpot account with its own private app: a token (``pat-<region>-<uuid>``
        unless given), a client secret, an app id, and owners / user ids / team of its own,
        seeded from a demo org (``seed``), with ``leads`` unassigned contacts already in it."""
        from sandbox.demo import ORGS

        if region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}")
        if not 0 <= int(leads) <= 10_000:
            raise ValueError("leads must be within 0..10000")
        org = None
        if seed:
            if seed not in ORGS:
                raise ValueError(f"unknown org {seed!r}; known: {sorted(ORGS)}")
            org = ORGS[seed]
        with self.sandbox.lock:
            n = next(self._extra_ids)
            portal_id = int(portal_id) if portal_id is not None else EXTRA_PORTAL_IDS + n - 1
            if portal_id in self.portals:
                raise ValueError(f"portal {portal_id} exists already")
            token = token or f"pat-{region}-{uuid.uuid4()}"
            if self.portal_for_token(token) is not None:
                raise ValueError("that access token belongs to another portal")
            portal = Portal(self.sandbox, portal_id=portal_id, app_id=APP_ID + n, token=token,
                            app_secret=app_secret or str(uuid.uuid4()), name=name,
                            owner_base=61_000_001 + 100_000 * n, user_base=7_100_001 + 100_000 * n,
                            team_id=str(4_500_001 + n))
            portal.reset(webhook_url=webhook_url)
            if org is not None:
                portal.seed(org)
            self.portals[portal_id] = portal
            if leads:
                self._seed_leads(portal, int(leads))
        return portal

    def _seed_leads(self, portal: Portal, count: int) -> None:
        """Contacts already in the account (an import), none of them owned."""
        from sandbox.generator import LeadGenerator

        generator = LeadGenerator(seed=portal.portal_id)
        for index in range(count):
            data = generator.lead()
            data["email"] = f"{index + 1}.{data['email']}"
            self._create_contact(portal, data, source="IMPORT")

    # The current portal's parts (the default one outside a request), for the routes and tests.
    crm = property(lambda self: self.current().crm)
    owners = property(lambda self: self.current().owners)
    limiter = property(lambda self: self.current().limiter)
    webhooks = property(lambda self: self.current().webhooks)
    portal_id = property(lambda self: self.current().portal_id)
    app_id = property(lambda self: self.current().app_id)
    token = property(lambda self: self.current().token)

    @property
    def search_limits(self):
        return self.current().search_limits

    @search_limits.setter
    def search_limits(self, value) -> None:
        self.current().search_limits = value

    # -- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the one default portal, empty (added portals are gone)."""
        with self.sandbox.lock:
            self.portals = {self.default.portal_id: self.default}
            self._extra_ids = itertools.count(1)
            self.default.reset(webhook_url=self.sandbox.options.get("hubspot_webhook_url"))

    def seed_demo(self, org) -> None:
        with self.sandbox.lock:
            self.portals.pop(self.default.portal_id, None)
            self.default.set_portal_id(org.hubspot_portal_id)
            self.portals[self.default.portal_id] = self.default
            self.default.seed(org)

    def create_lead(self, data: dict) -> dict:
        """A contact as a web form would create it (fires contact.creation). With
        ``object: leads`` a Leads-object record follows, associated with that contact as its
        primary contact, the way a rep or a workflow creates one (fires object.creation, 0-136);
        the answer is then the lead. Custom properties the portal has not declared are left out.
        ``portal_id`` names the portal (default: the current one)."""
        data = dict(data)
        portal = self.portal(data.pop("portal_id")) if data.get("portal_id") else self.current()
        with self.sandbox.lock:
            return self._create_contact(portal, data, source="CRM_UI")

    def _create_contact(self, portal: Portal, data: dict, *, source: str) -> dict:
        crm = portal.crm
        schema = crm.schema("contacts")
        props = {prop: data[key] for key, prop in CONTACT_FIELDS.items()
                 if data.get(key) not in (None, "") and prop in schema}
        if data.get("source"):
            props["hs_analytics_source"] = ANALYTICS_SOURCES.get(data["source"], "OTHER_CAMPAIGNS")
        props.setdefault("lifecyclestage", "lead")
        props.setdefault("hs_lead_status", "NEW")
        if data.get("owner"):
            owner = portal.owners.by_key(data["owner"]) or portal.owners.owners.get(str(data["owner"]))
            if owner is not None:
                props["hubspot_owner_id"] = owner.id
        props.update(data.get("properties") or {})
        as_lead = data.get("object") == "leads"
        if as_lead:
            props.pop("hubspot_owner_id", None)   # the lead is what gets routed
        record = crm.create("contacts", props, source=source)
        if not as_lead:
            return record.to_json("contacts", list(record.properties))
        name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p) \
            or data.get("email") or f"Lead {record.id}"
        lead_props = {"hs_lead_name": name, "hs_pipeline": "lead-pipeline-id",
                      "hs_pipeline_stage": "new-stage-id"}
        lead_props.update(data.get("lead_properties") or {})
        lead = crm.create("leads", lead_props, source=source, associations=[
            {"to": {"id": record.id},
             "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}])
        return lead.to_json("leads", list(lead.properties))

    def get_record(self, record_type: str, record_id: str) -> dict | None:
        portal = self.current()
        with self.sandbox.lock:
            if record_type == "owners":
                owner = portal.owners.owners.get(record_id)
                return owner.to_json() if owner else None
            if record_type not in portal.crm.stores:
                return None
            record = portal.crm.store(record_type).records.get(record_id)
            return record.to_json(record_type, list(record.properties)) if record else None

    def describe(self) -> dict:
        portal = self.current()
        base = self.sandbox.base_url
        return {"api_base": base, "token": portal.token,
                "portal_id": portal.portal_id, "app_id": portal.app_id,
                "app_secret": portal.app_secret,
                "webhook_url": portal.webhooks.settings.url,
                "owners": len(portal.owners.owners),
                "contacts": len(portal.crm.store("contacts").records),
                "leads": len(portal.crm.store("leads").records),
                "portals": [p.describe(base) for p in self.portals.values() if p is not self.default]}

    def first_activity(self, record: Record, at: datetime) -> None:
        """A rep's first sales activity (what outcome sync reads)."""
        self.crm.update("contacts", record, {"hs_last_sales_activity_timestamp": iso(at),
                                             "notes_last_contacted": iso(at)}, source="CRM_UI")


__all__ = ["HubSpotState"]
