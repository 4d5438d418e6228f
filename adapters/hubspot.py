"""HubSpot adapter (hubspot-api-client, CRM v3): contacts or the Leads object. Reads in batches
of 100, searches 200 a page, writes with batch/update; every request passes through
``HubSpotConnection.call``."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

from hubspot.crm.objects import (BatchReadInputSimplePublicObjectId, Filter, FilterGroup,
                                 PublicObjectSearchRequest, SimplePublicObjectId)

import adapters.hubspot_events as hubspot_events
import adapters.hubspot_leads as hubspot_leads
import adapters.hubspot_signature as hubspot_signature
from adapters.assigning import ConnectedAdapter, WriteWindows
from adapters.base import (CrmAccount, CrmUser, DuplicateMatch, LeadRecord, Outcome, PersonKey,
                           UnassignedPage, WebhookEvent, WebhookKind, WebhookReply, chunked, person_keys,
                           unique)
from adapters.cursor import SinceCursor
from adapters.hubspot_http import HubSpotConnection
from adapters.hubspot_write import HubSpotOwnerWriter, record_id_problem
from adapters.mapping import HUBSPOT_CONTACT, HUBSPOT_LEAD, FieldMap
from adapters.retry import RetryPolicy
from rules_engine.lead import parse_datetime

BATCH = 100            # batch read / update inputs
SEARCH_PAGE = 200      # search results per page
SEARCH_CAP = 10_000    # results one search query can page through
OWNER = "hubspot_owner_id"
DEFAULT_MAPS = {"contacts": HUBSPOT_CONTACT, "leads": HUBSPOT_LEAD}
FIRST_ACTIVITY = ("hs_sa_first_engagement_date", "hs_first_engagement_date",
                  "notes_last_contacted", "hs_last_sales_activity_timestamp")
EVENT_PREFIXES = {"contacts": ("contact", "object"), "leads": ("object",)}
OBJECT_TYPE_IDS = {"contacts": "0-1", "leads": "0-136"}   # generic object.* events name theirs
EVENT_KINDS = {"creation": WebhookKind.CREATED, "deletion": WebhookKind.DELETED,
               "propertyChange": WebhookKind.PROPERTY_CHANGED}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def flt(prop: str, operator: str, value: Any = None, values: list | None = None) -> Filter:
    return Filter(property_name=prop, operator=operator, value=value, values=values)


class HubSpotAdapter(ConnectedAdapter):
    kind = "hubspot"

    def __init__(self, settings: Mapping[str, Any], secrets: Mapping[str, Any], *,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = _utcnow,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        s = dict(settings)
        if not secrets.get("token"):
            raise ValueError("HubSpot needs a private-app token (secrets['token'])")
        self.object_type = s.get("object_type", "contacts")
        if self.object_type not in DEFAULT_MAPS:
            raise ValueError(f"object_type must be one of {sorted(DEFAULT_MAPS)}")
        retry = RetryPolicy(max_attempts=int(s.get("max_attempts", 4)),
                            base_wait=float(s.get("base_wait", 0.5)),
                            max_wait=float(s.get("max_wait", 30.0)), sleep=sleep)
        self.conn = HubSpotConnection(
            token=secrets["token"], base_url=s.get("base_url", "https://api.hubapi.com"),
            ca_bundle=s.get("ca_bundle"), timeout=float(s.get("timeout", 30.0)), retry=retry,
            ten_second_max=int(s.get("ten_second_max", 100)),
            search_per_second=int(s.get("search_per_second", 4)), sleep=sleep, monotonic=monotonic)
        self.fields = FieldMap.build("hubspot", DEFAULT_MAPS[self.object_type],
                                     s.get("field_overrides"), s.get("extra_fields") or ())
        # Leads: each lead's primary contact is read too (hubspot_leads), and optionally owned too.
        self.leads = hubspot_leads.LeadContacts(self.conn, hubspot_leads.contact_fields(s.get("extra_fields") or ()))
        self.sync_contact_owner = bool(s.get("sync_contact_owner")) and self.object_type == "leads"
        self.app_secret: str | None = secrets.get("app_secret")
        self.portal_id: str | None = s.get("portal_id")  # for record links
        self.page_size = int(s.get("page_size", 200))
        self.settle = timedelta(seconds=float(s.get("settle_seconds", 0)))
        self.closed_statuses: list[str] = list(s.get("closed_statuses") or [])
        self.converted_stages = set(s.get("converted_stages") or ["opportunity", "customer"])
        self.won_statuses = set(s.get("won_statuses", ["OPEN_DEAL", "qualified-stage-id"]))
        self.lost_statuses = set(s.get("lost_statuses", ["UNQUALIFIED", "unqualified-stage-id"]))
        self.recheck_before_write = bool(s.get("recheck_before_write", True))
        self.write_windows = WriteWindows()   # check-to-write seconds, per write (README)
        self.writer = HubSpotOwnerWriter(self.conn, self.object_type, recheck=self.recheck_before_write,
                                         windows=self.write_windows,
                                         then=self.leads.sync_owners if self.sync_contact_owner else None)
        self.now = now
        self.api = self.conn.client.crm

    # -- helpers ---------------------------------------------------------------------------
    def _properties(self) -> list[str]:
        own = ("hs_lead_name",) if self.object_type == "leads" else ("lifecyclestage",)
        return self.fields.crm_fields(OWNER, "createdate", "hs_lastmodifieddate", *own)

    def _records(self, objs: Sequence[Any]) -> list[LeadRecord]:
        if self.object_type != "leads":
            return [self._record(obj) for obj in objs]
        return [self._record(obj, values, hubspot_leads.fallback())
                for obj, values in self.leads.with_contacts(objs)]

    def _record(self, obj: Any, values: Mapping[str, Any] | None = None,
                fallback: Mapping[str, str] | None = None) -> LeadRecord:
        props = dict(obj.properties or {}) if values is None else dict(values)
        owner = props.get(OWNER) or None
        status = props.get("lifecyclestage") or props.get("hs_pipeline_stage")
        return LeadRecord(self.fields.to_lead(props, str(obj.id), fallback), owner, bool(owner),
                          parse_datetime(props.get("hs_lastmodifieddate")) or obj.updated_at,
                          status in self.converted_stages)

    def search(self, object_type: str, filters: list[Filter], *, properties: list[str],
               sort: str | None = None, limit: int = SEARCH_PAGE, after: str | None = None,
               groups: list[list[Filter]] | None = None) -> Any:
        """``groups``: filter groups (ORed) instead of the one group ``filters``."""
        body = PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=f) for f in groups or [filters]], properties=properties,
            limit=limit,
            after=after, sorts=[{"propertyName": sort, "direction": "ASCENDING"}] if sort else None)
        return self.conn.call(self.api.objects.search_api.do_search_with_http_info, object_type,
                              body, search=True)

    def search_since(self, filters: list[Filter], sort: str, cursor: SinceCursor,
                     properties: list[str], wanted: int) -> tuple[list[Any], SinceCursor, bool]:
        """Up to ``wanted`` records with ``sort >= cursor``, oldest first, skipping the ids the
        cursor has seen. Paging stops before the 10,000-result cap; the next call restarts
        from the advanced cursor, so the cap never hides records."""
        if cursor.ts_ms is not None:
            filters = [*filters, flt(sort, "GTE", str(cursor.ts_ms))]
        found: list[Any] = []
        after, fetched, more = None, 0, True
        while len(found) < wanted and more:
            limit = min(SEARCH_PAGE, wanted - len(found) + len(cursor.seen))
            if fetched + limit > SEARCH_CAP:
                break
            page = self.search(self.object_type, filters, properties=properties, sort=sort,
                               limit=limit, after=after)
            fetched += len(page.results)
            found += [r for r in page.results if str(r.id) not in cursor.seen]
            more = bool(page.paging and page.paging.next)
            after = page.paging.next.after if more else None
        more = more or len(found) > wanted
        found = found[:wanted]
        stamps = [(str(r.id), parse_datetime(r.properties.get(sort))) for r in found]
        horizon = self.now() - self.settle if self.settle else None
        return found, cursor.advance([s for s in stamps if s[1]], horizon=horizon), more

    # -- reads -----------------------------------------------------------------------------
    def find_unassigned(self, since_cursor: str | None = None) -> UnassignedPage:
        cursor = SinceCursor.decode(since_cursor)
        found, cursor, more = self.search_since([flt(OWNER, "NOT_HAS_PROPERTY")], "createdate",
                                                cursor, self._properties(), self.page_size)
        return UnassignedPage(self._records(found), cursor.encode(), more)

    def record_url(self, record_id: str) -> str | None:
        """``https://app.hubspot.com/contacts/{portal}/record/{objectTypeId}/{id}`` (the record
        page's URL for every object type), when the connection knows its portal id."""
        if not self.portal_id:
            return None
        return f"https://app.hubspot.com/contacts/{self.portal_id}/record/{OBJECT_TYPE_IDS[self.object_type]}/{record_id}"

    def lead_id_problem(self, lead_id: str) -> str | None:
        return record_id_problem(lead_id)

    def read_leads(self, ids: Sequence[str]) -> list[LeadRecord]:
        wanted = [i for i in unique(ids) if not self.lead_id_problem(i)]   # others: absent
        objs: list[Any] = []
        for chunk in chunked(wanted, BATCH):
            body = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in chunk], properties=self._properties(),
                properties_with_history=[])
            answer = self.conn.call(self.api.objects.batch_api.read_with_http_info,
                                    self.object_type, body)
            objs += answer.results   # a 207 lists missing ids in .errors: they stay absent
        found = {r.id: r for r in self._records(objs)}
        return [found[i] for i in wanted if i in found]

    def read_roster(self) -> list[CrmUser]:
        users: list[CrmUser] = []
        for archived in (False, True):   # deactivated users are archived owners
            after = None
            while True:
                page = self.conn.call(self.api.owners.owners_api.get_page_with_http_info,
                                      limit=500, after=after, archived=archived)
                for o in page.results:
                    name = " ".join(p for p in (o.first_name, o.last_name) if p) or (o.email or "")
                    teams = tuple(t.name for t in (o.teams or []) if t.name)
                    users.append(CrmUser(str(o.id), o.email, name,
                                         not archived and not o.archived and o.user_id is not None,
                                         teams, None))
                if not (page.paging and page.paging.next):
                    break
                after = page.paging.next.after
        return users

    def read_open_load(self, owner_ids: Iterable[str]) -> dict[str, int]:
        # HubSpot search cannot group: one search per owner, reading only its total.
        load = {}
        status_field = self.fields.fields.get("status")
        for owner in unique(owner_ids):
            filters = [flt(OWNER, "EQ", owner)]
            if self.closed_statuses and status_field:
                filters.append(flt(status_field, "NOT_IN", values=self.closed_statuses))
            load[owner] = int(self.search(self.object_type, filters, properties=[OWNER],
                                          limit=1).total or 0)
        return load

    def list_accounts(self) -> list[CrmAccount]:
        """Every company, 100 a page (the objects list API, ``after`` paging)."""
        accounts, after = [], None
        while True:
            page = self.conn.call(self.api.objects.basic_api.get_page_with_http_info, "companies", limit=BATCH,
                                  after=after, properties=["domain", "name", OWNER, "notes_last_updated"])
            accounts += [CrmAccount(str(o.id), p.get("name"), p.get("domain"), p.get(OWNER) or None,
                                    parse_datetime(p.get("notes_last_updated")))
                         for o in page.results for p in [o.properties or {}]]
            if not (page.paging and page.paging.next):
                return accounts
            after = page.paging.next.after

    def find_duplicates(self, emails: Iterable[str], *, names: Iterable[PersonKey] = (),
                        open_only: bool = False) -> dict[str, list[DuplicateMatch]]:
        """One search per 100 emails and per 5 names (HubSpot's five filter groups: first name,
        last name, an email at the domain); ``open_only``: records with an owner, not at a
        converted stage."""
        field = {k: self.fields.fields.get(k, k) for k in ("email", "first_name", "last_name")}
        groups = [[[flt(field["email"], "IN", values=list(c))]]
                  for c in chunked(unique(e.strip().lower() for e in emails if e), 100)]
        groups += [[[flt(field["first_name"], "EQ", first), flt(field["last_name"], "EQ", last),
                     flt(field["email"], "CONTAINS_TOKEN", f"*@{domain}")] for first, last, domain in c]
                   for c in chunked(person_keys(names), 5)]
        properties = [*field.values(), OWNER, "lifecyclestage", "notes_last_updated"]
        out: dict[str, list[DuplicateMatch]] = {}
        found = {str(obj.id): obj.properties for group in groups
                 for obj in self._search_all(self.object_type, group, properties)}
        for record_id, props in found.items():
            if open_only and (not props.get(OWNER) or props.get("lifecyclestage") in self.converted_stages):
                continue
            email = (props.get(field["email"]) or "").lower()
            out.setdefault(email, []).append(DuplicateMatch(
                email, record_id, self.object_type, props.get(OWNER) or None, props.get(field["first_name"]),
                props.get(field["last_name"]), None, parse_datetime(props.get("notes_last_updated"))))
        return out

    def _search_all(self, object_type: str, groups: list[list[Filter]], properties: list[str]) -> list:
        found, after = [], None
        while True:
            page = self.search(object_type, [], properties=properties, after=after, groups=groups)
            found += page.results
            if not (page.paging and page.paging.next) or len(found) >= SEARCH_CAP - SEARCH_PAGE:
                return found
            after = page.paging.next.after

    def read_outcomes(self, routed: Mapping[str, datetime]) -> list[Outcome]:
        """One batch read per 100 ids: the status (``hs_lead_status``, or the mapped ``status``),
        the lifecycle stage, the owner and the activity dates. HubSpot keeps the latest sales
        activity (``hs_last_sales_activity_timestamp``) and the first engagement: the earliest
        of them at or after our write is the first touch (synced often, the latest is the
        first one seen after the write)."""
        status_field = self.fields.fields.get("status", "hs_lead_status")
        props = list(dict.fromkeys([status_field, "lifecyclestage", OWNER, "hs_lastmodifieddate", *FIRST_ACTIVITY]))
        wanted = [i for i in unique(routed) if not self.lead_id_problem(i)]
        outcomes: list[Outcome] = []
        for chunk in chunked(wanted, BATCH):
            body = BatchReadInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=i) for i in chunk],
                                                      properties=props, properties_with_history=[])
            answer = self.conn.call(self.api.objects.batch_api.read_with_http_info, self.object_type, body)
            outcomes += [self._outcome(obj.properties or {}, str(obj.id), status_field, routed[str(obj.id)])
                         for obj in answer.results if str(obj.id) in routed]
        return outcomes

    def _outcome(self, p: Mapping[str, Any], lead_id: str, status_field: str, since: datetime) -> Outcome:
        status = p.get(status_field)
        touches = [t for t in (parse_datetime(p.get(n)) for n in FIRST_ACTIVITY) if t is not None and t >= since]
        won = p.get("lifecyclestage") in self.converted_stages or status in self.won_statuses
        return Outcome(lead_id, status, won, min(touches, default=None), p.get(OWNER) or None,
                       parse_datetime(p.get("hs_lastmodifieddate")), lost=not won and status in self.lost_statuses)

    # -- connection checks -----------------------------------------------------------------
    def unknown_fields(self) -> list[str]:
        """Mapped properties (field map, ``extra_fields``, the owner and cursor properties) the
        portal's properties API (``GET /crm/v3/properties/{objectType}``) does not list."""
        answer = self.conn.call(self.api.properties.core_api.get_all_with_http_info, self.object_type)
        known = {p.name for p in answer.results or []}
        return [f"{self.object_type}.{name} is not a property of {self.object_type} in this portal"
                for name in self.fields.crm_fields(OWNER, "createdate", "hs_lastmodifieddate")
                if name not in known]

    # -- writes ----------------------------------------------------------------------------
    # -- webhooks --------------------------------------------------------------------------
    def verify_webhook(self, headers: Mapping[str, str], method: str, url: str,
                       body: bytes) -> None:
        hubspot_signature.verify(headers, method, url, body, self.app_secret or "", now=self.now)

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]:
        """The events this connection routes, from a body checked against HubSpot's documented
        shape first (``hubspot_events``): anything else is a WebhookRejected (400)."""
        out = []
        for e in hubspot_events.parse(body):
            prefix, _, action = e.subscriptionType.partition(".")
            if prefix not in EVENT_PREFIXES[self.object_type] or e.objectId is None:
                continue
            if prefix == "object" and e.objectTypeId != OBJECT_TYPE_IDS[self.object_type]:
                continue   # a generic event about another object type
            kind = EVENT_KINDS.get(action, WebhookKind.PROPERTY_CHANGED)
            if kind is WebhookKind.PROPERTY_CHANGED and e.propertyName == OWNER:
                kind = WebhookKind.OWNER_CHANGED
            out.append(WebhookEvent(str(e.eventId), str(e.objectId), kind, e.occurred, e.as_dict()))
        return out

    def webhook_reply(self, events: Sequence[WebhookEvent]) -> WebhookReply:
        return WebhookReply(200, "text/plain; charset=utf-8", "")

    def close(self) -> None:
        pass


__all__ = ["HubSpotAdapter"]
