"""The HubSpot vendor: CRM v3 objects, owners, search, limits and webhooks for one portal."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import flask

from sandbox.core import Vendor
from sandbox.hubspot import api, associations, control, errors, owners, properties_api
from sandbox.hubspot.owners import Owner, OwnerDirectory
from sandbox.hubspot.properties import OBJECT_TYPE_IDS, PropType, iso
from sandbox.hubspot.ratelimit import RateLimiter
from sandbox.hubspot.search import SearchLimits
from sandbox.hubspot.store import Crm, Record
from sandbox.hubspot.webhooks import WebhookDispatcher

APP_ID = 1512050
DEFAULT_PORTAL_ID = 24681357
ADMIN_USER_ID = 7_000_001   # the portal admin who "clicks" in the CRM UI
SEEDED_AT = datetime(2023, 1, 9, 9, 0, tzinfo=timezone.utc)

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
# The demo portal's custom contact properties (Settings -> Properties), as an admin creates them.
DEMO_CONTACT_PROPERTIES = (("segment", PropType.ENUM, "Segment", ("SMB", "Mid-Market", "Enterprise")),
                           ("product_interest", PropType.STRING, "Product interest", ()))


class HubSpotVendor(Vendor):
    name = "hubspot"
    prefixes = ("/crm/",)

    def __init__(self, sandbox) -> None:
        super().__init__(sandbox)
        self.portal_id = DEFAULT_PORTAL_ID
        self.app_id = APP_ID
        self.owners = OwnerDirectory()
        self.crm = Crm(sandbox.clock, self.owners.active_id)
        self.crm.listeners.append(self._on_change)
        self.limiter = RateLimiter(sandbox.clock)
        self.search_limits = SearchLimits()
        self.webhooks = WebhookDispatcher(sandbox, portal_id=self.portal_id, app_id=self.app_id,
                                          secret=sandbox.options["hubspot_app_secret"])
        self.reset()

    @property
    def token(self) -> str:
        return self.sandbox.options["hubspot_token"]

    # -- HTTP ------------------------------------------------------------------------------
    def blueprint(self) -> flask.Blueprint:
        bp = flask.Blueprint("hubspot", __name__)
        bp.before_request(self._authenticate_and_count)
        bp.after_request(self._rate_headers)
        bp.register_error_handler(errors.HubSpotError,
                                  lambda exc: errors.response(exc.status, exc.body()))
        api.register(bp, self)
        associations.register(bp, self)
        owners.register(bp, self)
        properties_api.register(bp, self)
        return bp

    def control_blueprint(self) -> flask.Blueprint:
        return control.blueprint(self)

    def _authenticate_and_count(self) -> Any:
        header = flask.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token:
            exc = errors.unauthorized()
            return errors.response(exc.status, exc.body())
        flask.g.hubspot_search = flask.request.path.endswith("/search")
        policy = self.limiter.hit(search=flask.g.hubspot_search)
        if policy is not None:
            group = {"TEN_SECONDLY_ROLLING": "ten-secondly", "DAILY": "daily",
                     "SECONDLY": "search-secondly"}[policy]
            body = errors.rate_limit_body(
                policy, f"publicapi:private_app-api-calls-{group}:{self.app_id}:{self.portal_id}")
            return errors.response(429, body)
        return None

    def _rate_headers(self, response: flask.Response) -> flask.Response:
        # Search answers carry no X-HubSpot-RateLimit-* headers (it has its own limit).
        if "hubspot_search" in flask.g and not flask.g.hubspot_search:
            for key, value in self.limiter.headers().items():
                response.headers[key] = value
        return response

    def fault_response(self, status: int, *, retry_after: float | None = None) -> flask.Response:
        headers = self.limiter.headers() if status == 429 else {}
        if status == 429:
            headers["X-HubSpot-RateLimit-Remaining"] = "0"
        if retry_after is not None:
            headers["Retry-After"] = str(int(retry_after) if retry_after == int(retry_after)
                                         else retry_after)
        return errors.response(status, errors.fault_body(status), headers)

    def http_error(self, status: int) -> flask.Response | None:
        message = "resource not found" if status == 404 else "HTTP method not allowed"
        return errors.response(status, {"status": "error", "message": message,
                                        "correlationId": errors.correlation_id()})

    # -- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        with self.sandbox.lock:
            self.crm.reset()
            self.owners.reset()
            self.limiter.reset()
            options = self.sandbox.options
            self.limiter.configure(ten_second_max=options["hubspot_ten_second_limit"],
                                   search_per_second=options["hubspot_search_per_second"],
                                   daily_max=options["hubspot_daily_limit"])
            self.search_limits = SearchLimits()
            self.webhooks.reset(url=self.sandbox.options.get("hubspot_webhook_url"))

    def seed_demo(self, org) -> None:
        with self.sandbox.lock:
            self.portal_id = self.webhooks.portal_id = org.hubspot_portal_id
            for name, kind, label, options in DEMO_CONTACT_PROPERTIES:
                self.crm.declare_property("contacts", name, kind, label=label, options=options)
            team = {"id": "4500001", "name": org.team_name, "primary": True}
            for index, rep in enumerate(org.all_reps):
                self.owners.add(Owner(id=str(61_000_001 + index), email=rep.email,
                                      first_name=rep.first_name, last_name=rep.last_name,
                                      user_id=7_100_001 + index, created_at=SEEDED_AT,
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

    def create_lead(self, data: dict) -> dict:
        """A contact as a web form would create it (fires contact.creation). With
        ``object: leads`` a Leads-object record follows, associated with that contact as its
        primary contact, the way a rep or a workflow creates one (fires object.creation, 0-136);
        the answer is then the lead. Custom properties the portal has not declared are left out."""
        schema = self.crm.schema("contacts")
        props = {prop: data[key] for key, prop in CONTACT_FIELDS.items()
                 if data.get(key) not in (None, "") and prop in schema}
        if data.get("source"):
            props["hs_analytics_source"] = ANALYTICS_SOURCES.get(data["source"], "OTHER_CAMPAIGNS")
        props.setdefault("lifecyclestage", "lead")
        props.setdefault("hs_lead_status", "NEW")
        if data.get("owner"):
            owner = self.owners.by_key(data["owner"]) or self.owners.owners.get(str(data["owner"]))
            if owner is not None:
                props["hubspot_owner_id"] = owner.id
        props.update(data.get("properties") or {})
        as_lead = data.get("object") == "leads"
        if as_lead:
            props.pop("hubspot_owner_id", None)   # the lead is what gets routed
        with self.sandbox.lock:
            record = self.crm.create("contacts", props, source="CRM_UI")
            if not as_lead:
                return record.to_json("contacts", list(record.properties))
            name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p) \
                or data.get("email") or f"Lead {record.id}"
            lead_props = {"hs_lead_name": name, "hs_pipeline": "lead-pipeline-id",
                          "hs_pipeline_stage": "new-stage-id"}
            lead_props.update(data.get("lead_properties") or {})
            lead = self.crm.create("leads", lead_props, source="CRM_UI", associations=[
                {"to": {"id": record.id},
                 "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}])
            return lead.to_json("leads", list(lead.properties))

    def get_record(self, record_type: str, record_id: str) -> dict | None:
        with self.sandbox.lock:
            if record_type == "owners":
                owner = self.owners.owners.get(record_id)
                return owner.to_json() if owner else None
            if record_type not in self.crm.stores:
                return None
            record = self.crm.store(record_type).records.get(record_id)
            return record.to_json(record_type, list(record.properties)) if record else None

    def describe(self) -> dict:
        return {"api_base": self.sandbox.base_url, "token": self.token,
                "portal_id": self.portal_id, "app_id": self.app_id,
                "app_secret": self.sandbox.options["hubspot_app_secret"],
                "webhook_url": self.webhooks.settings.url,
                "owners": len(self.owners.owners),
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

    def first_activity(self, record: Record, at: datetime) -> None:
        """A rep's first sales activity (what outcome sync reads)."""
        self.crm.update("contacts", record, {"hs_last_sales_activity_timestamp": iso(at),
                                             "notes_last_contacted": iso(at)}, source="CRM_UI")
