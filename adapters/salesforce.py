"""Salesforce adapter (simple-salesforce) for Leads or Contacts (``object``; what differs between
them: adapters/salesforce_objects.py). Reads go out as SOQL in batches of 200 ids, writes as sObject
Collections; every request passes through the connection's one request path
(``SalesforceConnection``, adapters/connection.py)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import adapters.salesforce_soql as soql
from adapters.assigning import ConnectedAdapter, WriteWindows
from adapters.base import (CrmAccount, CrmUser, DuplicateMatch, LeadRecord, Outcome, PersonKey,
                           UnassignedPage, WebhookEvent, WebhookKind, WebhookReply, chunked, person_keys,
                           unique)
from adapters.cursor import SinceCursor
from adapters.errors import InvalidData, WebhookRejected
from adapters.mapping import FieldMap, flatten
from adapters.retry import RetryPolicy
from adapters.salesforce_auth import AuthStyle, OAuthConfig
from adapters.salesforce_http import SalesforceConnection, make_session
from adapters.salesforce_dates import parse_sf_datetime
from adapters.salesforce_objects import OBJECTS
from adapters.salesforce_outbound import ACK, parse as parse_outbound, same_org
from adapters.salesforce_write import SalesforceOwnerWriter
from rules_engine.lead import parse_datetime
from rules_engine.text import website_domain

BATCH = 200                               # ids per SOQL IN (...) and records per collection
OUTCOME_FIELDS = ("Id", "OwnerId", "SystemModstamp", "LastActivityDate")
ACTIVITY_OBJECTS = ("Task", "Event")      # a rep's calls, emails and meetings (WhoId: the lead)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SalesforceAdapter(ConnectedAdapter):
    kind = "salesforce"

    def __init__(self, settings: Mapping[str, Any], secrets: Mapping[str, Any], *,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = _utcnow) -> None:
        s = dict(settings)
        private_key = secrets.get("private_key")
        if not private_key and s.get("jwt_key_file"):
            private_key = Path(s["jwt_key_file"]).read_text()
        oauth = OAuthConfig(
            login_url=s["url"], style=AuthStyle(s.get("auth", "password")),
            client_id=s.get("client_id"), client_secret=secrets.get("client_secret"),
            username=s.get("username"), password=secrets.get("password"),
            security_token=secrets.get("security_token"), private_key=private_key,
            audience=s.get("jwt_audience"))
        oauth.check()
        retry = RetryPolicy(max_attempts=int(s.get("max_attempts", 4)),
                            base_wait=float(s.get("base_wait", 0.5)),
                            max_wait=float(s.get("max_wait", 30.0)), sleep=sleep)
        self.conn = SalesforceConnection(
            oauth, api_version=str(s.get("api_version", "59.0")),
            session=make_session(s.get("ca_bundle"), float(s.get("timeout", 30.0))),
            retry=retry, rate_limit_wait=float(s.get("rate_limit_wait", 5.0)))
        self.object = OBJECTS[s.get("object", "Lead")]
        self.fields = FieldMap.build("salesforce", self.object.fields, s.get("field_overrides"),
                                     s.get("extra_fields") or ())
        self.org_id: str | None = s.get("org_id")
        self.intake_queues: list[str] = list(s.get("intake_queues") or [])   # Leads
        self.intake_owners: list[str] = list(s.get("intake_owners") or [])   # Contacts
        self.cursor_field = {"createddate": "CreatedDate", "systemmodstamp": "SystemModstamp"}[
            str(s.get("cursor_field", "SystemModstamp")).lower()]
        self.page_size = int(s.get("page_size", 2000))
        self.query_batch_size = s.get("query_batch_size")   # 200..2000; None = Salesforce's 2000
        self.settle = timedelta(seconds=float(s.get("settle_seconds", 0)))
        self.closed_statuses: list[str] = list(s.get("closed_statuses") or [])
        self.won_statuses = set(s.get("won_statuses", ["Closed - Converted"]))
        self.lost_statuses = set(s.get("lost_statuses", ["Closed - Not Converted"]))
        self.duplicate_objects: list[str] = list(s.get("duplicate_objects") or ["Lead", "Contact"])
        self.recheck_before_write = bool(s.get("recheck_before_write", True))
        self.write_windows = WriteWindows()   # check-to-write seconds, per write (README)
        self.writer = SalesforceOwnerWriter(self.conn, self.object, recheck=self.recheck_before_write,
                                            windows=self.write_windows)
        self.now = now
        self._intake_ids: list[str] | None = None

    # -- helpers ---------------------------------------------------------------------------
    def _rows(self, query: str) -> list[dict]:
        return list(self.conn.query(query, self.query_batch_size))

    def _fields(self) -> list[str]:
        return self.fields.crm_fields(*self.object.read_fields())

    def _record(self, row: Mapping[str, Any]) -> LeadRecord:
        owner = row.get("OwnerId")
        converted = bool(row.get(self.object.converted_field)) if self.object.converted_field else False
        return LeadRecord(self.fields.to_lead(flatten(row), row["Id"]), owner, self._owned_by_a_person(owner),
                          parse_sf_datetime(row.get("LastModifiedDate")), converted)

    def _owned_by_a_person(self, owner: str | None) -> bool:
        """A user owns it: for a Lead any user (not a queue); for a Contact a user other than
        the intake owners (whose contacts are the ones to route)."""
        if not soql.is_user(owner):
            return False
        return self.object.queues_own or owner[:15] not in {i[:15] for i in self.intake_ids()}

    def intake_ids(self) -> list[str]:
        """Who holds the records to route: for Leads the intake queues as 00G ids (none: any
        queue); for Contacts the intake owners as 005 ids (none given: the integration user).
        Names are looked up once."""
        if self._intake_ids is None:
            self._intake_ids = self._queue_ids() if self.object.queues_own else self._owner_ids()
        return self._intake_ids

    def _queue_ids(self) -> list[str]:
        ids = [q for q in self.intake_queues if soql.is_queue(q)]
        names = [q for q in self.intake_queues if not soql.is_queue(q)]
        if names:
            found = self._rows(soql.queues_by_name(names))
            if not found:
                raise InvalidData(f"no Salesforce queue named {names}")
            ids += [r["Id"] for r in found]
        return ids

    def _owner_ids(self) -> list[str]:
        if not self.intake_owners:
            return [self.conn.user_id()]
        ids = [o for o in self.intake_owners if soql.is_user(o)]
        names = [o for o in self.intake_owners if not soql.is_user(o)]
        if names:
            found = {r["Username"].lower(): r["Id"] for r in self._rows(soql.users_by_username(names))}
            unknown = [n for n in names if n.lower() not in found]
            if unknown:
                raise InvalidData(f"no Salesforce user with the username {unknown}")
            ids += list(found.values())
        return ids

    # -- reads -----------------------------------------------------------------------------
    def find_unassigned(self, since_cursor: str | None = None) -> UnassignedPage:
        cursor = SinceCursor.decode(since_cursor)
        query = soql.unassigned(self.object.name, self._fields(), owner_ids=self.intake_ids(),
                                converted_field=self.object.converted_field, cursor_field=self.cursor_field,
                                since=cursor.ts, exclude_ids=sorted(cursor.seen), limit=self.page_size + 1)
        rows = self._rows(query)
        has_more = len(rows) > self.page_size
        rows = rows[:self.page_size]
        stamps = [(r["Id"], parse_sf_datetime(r[self.cursor_field])) for r in rows]
        cursor = cursor.advance(stamps, horizon=self.now() - self.settle if self.settle else None,
                                granularity_ms=1000)   # SOQL literals have second precision
        return UnassignedPage([self._record(r) for r in rows], cursor.encode(), has_more)

    def record_url(self, record_id: str) -> str | None:
        """``{instance_url}/lightning/r/{Object}/{Id}/view`` on the org's own host, the one its
        login named (None before the first login: the login host is not the org's)."""
        base = self.conn.instance_url
        return f"{base}/lightning/r/{self.object.name}/{record_id}/view" if base else None

    def lead_id_problem(self, lead_id: str) -> str | None:
        try:
            soql.record_id(lead_id)
        except InvalidData as exc:
            return exc.message
        return self.object.id_problem(lead_id)

    def read_leads(self, ids: Sequence[str]) -> list[LeadRecord]:
        first: dict[str, str] = {}
        for i in unique(ids):
            if self.lead_id_problem(i):
                continue   # cannot name a record: absent, never a failed batch
            first.setdefault(i[:15], i)   # a 15-char id names the same record as its 18-char form
        wanted = list(first.values())
        found: dict[str, LeadRecord] = {}
        for chunk in chunked(wanted, BATCH):
            for row in self._rows(soql.records_by_id(self.object.name, self._fields(), list(chunk))):
                found[row["Id"]] = self._record(row)
        by_prefix = {k[:15]: v for k, v in found.items()}   # callers may hold 15-char ids
        return [r for r in (found.get(i) or by_prefix.get(i[:15]) for i in wanted) if r]

    def read_roster(self) -> list[CrmUser]:
        teams: dict[str, list[str]] = {}
        for row in self._rows("SELECT GroupId, Group.Name, UserOrGroupId FROM GroupMember "
                              "WHERE Group.Type = 'Queue'"):
            teams.setdefault(row["UserOrGroupId"], []).append((row.get("Group") or {}).get("Name"))
        users = self._rows("SELECT Id, Email, Name, IsActive, Title, Department FROM User "
                           "WHERE UserType = 'Standard' ORDER BY Name")
        return [CrmUser(u["Id"], u.get("Email"), u.get("Name") or "", bool(u.get("IsActive")),
                        tuple(t for t in [u.get("Department"), *teams.get(u["Id"], [])] if t),
                        u.get("Title")) for u in users]

    def read_open_load(self, owner_ids: Iterable[str]) -> dict[str, int]:
        owners = unique(owner_ids)
        load = {o: 0 for o in owners}
        for chunk in chunked(owners, BATCH):
            for row in self._rows(soql.open_load(self.object.name, list(chunk),
                                                 converted_field=self.object.converted_field,
                                                 status_field=self.fields.fields.get("status"),
                                                 closed_statuses=self.closed_statuses)):
                load[row["OwnerId"]] = int(row.get("cnt") or row.get("expr0") or 0)
        return load

    def list_accounts(self) -> list[CrmAccount]:
        return [CrmAccount(row["Id"], row.get("Name"), row.get("Website"), row.get("OwnerId"),
                           parse_datetime(row.get("LastActivityDate")))
                for row in self._rows(soql.all_accounts())]

    def find_duplicates(self, emails: Iterable[str], *, names: Iterable[PersonKey] = (),
                        open_only: bool = False) -> dict[str, list[DuplicateMatch]]:
        """One query per 200 emails and per 50 names and object; ``open_only``: records not
        converted and owned by a person (``_owned_by_a_person``)."""
        wanted, people = unique(e.strip().lower() for e in emails if e), person_keys(names)
        out: dict[str, list[DuplicateMatch]] = {}
        seen: set[str] = set()
        for sobject in self.duplicate_objects:
            converted = "IsConverted" if open_only and sobject == "Lead" else None
            queries = [*(soql.records_by_email(sobject, list(c), converted_field=converted)
                         for c in chunked(wanted, BATCH)),
                       *(soql.records_by_name(sobject, list(c), converted_field=converted)
                         for c in chunked(people, 50))]
            for row in (row for query in queries for row in self._rows(query)):
                owner = row.get("OwnerId")
                if row["Id"] in seen or (open_only and not self._owned_by_a_person(owner)):
                    continue
                seen.add(row["Id"])
                email = (row.get("Email") or "").lower()
                out.setdefault(email, []).append(DuplicateMatch(
                    email, row["Id"], sobject, owner, row.get("FirstName"), row.get("LastName"),
                    website_domain(row.get("Website")), parse_datetime(row.get("LastActivityDate"))))
        return out

    def read_outcomes(self, routed: Mapping[str, datetime]) -> list[Outcome]:
        """One SOQL per 200 ids for the records (status, conversion, owner), then their Tasks
        and Events since the earliest write of the batch: the first at or after each lead's own
        write is its first activity. ``LastActivityDate`` (a date, no time) is the fallback when
        no Task or Event names the lead, and only for a day after the write."""
        status = self.fields.fields.get("status")
        converted = ("IsConverted", "ConvertedDate") if self.object.converted_field else ()
        fields = list(dict.fromkeys([*OUTCOME_FIELDS, *([status] if status else []), *converted]))
        wanted = [i for i in unique(routed) if not self.lead_id_problem(i)]
        outcomes: list[Outcome] = []
        for chunk in chunked(wanted, BATCH):
            rows = self._rows(soql.records_by_id(self.object.name, fields, list(chunk)))
            if not rows:
                continue
            asked = {i[:15]: i for i in chunk}   # Salesforce answers 18-character ids
            since = min(routed[i] for i in chunk)
            touches: dict[str, list[datetime]] = {}
            for sobject in ACTIVITY_OBJECTS:
                for row in self._rows(soql.activities_since(sobject, [r["Id"] for r in rows], since)):
                    touches.setdefault(row["WhoId"][:15], []).append(parse_sf_datetime(row.get("CreatedDate")))
            outcomes += [self._outcome(asked[r["Id"][:15]], r, status, routed[asked[r["Id"][:15]]],
                                       touches.get(r["Id"][:15], []))
                         for r in rows if r["Id"][:15] in asked]
        return outcomes

    def _outcome(self, lead_id: str, row: Mapping[str, Any], status_field: str | None, since: datetime,
                 touches: list[datetime | None]) -> Outcome:
        status = flatten(row).get(status_field) if status_field else None
        after = [t for t in touches if t is not None and t >= since]
        last_day = parse_datetime(row.get("LastActivityDate"))   # midnight UTC of that date
        if not after and last_day is not None and last_day.date() > since.date():
            after = [last_day]   # a later day than the write: touched, at the earliest that morning
        won = bool(row.get("IsConverted")) or status in self.won_statuses
        return Outcome(lead_id, status, won, min(after, default=None), row.get("OwnerId"),
                       parse_sf_datetime(row.get("SystemModstamp")), lost=not won and status in self.lost_statuses)

    # -- connection checks -----------------------------------------------------------------
    def unknown_fields(self) -> list[str]:
        """Mapped fields (field map, ``extra_fields``, the fields every read asks for) that the
        org's ``sobjects/<Object>/describe`` does not list; ``Account.Name`` checks the relationship."""
        name = self.object.name
        described = self.conn.call(lambda sf: sf.restful(f"sobjects/{name}/describe"))
        fields = described.get("fields") or []
        known = {str(f.get("name", "")).lower() for f in fields}
        relationships = {str(f.get("relationshipName")).lower() for f in fields if f.get("relationshipName")}
        return [f"{name}.{field} is not a field of {name} in this org" for field in self._fields()
                if (field.split(".")[0].lower() not in relationships if "." in field
                    else field.lower() not in known)]

    # -- writes ----------------------------------------------------------------------------
    # -- webhooks (outbound messages) ------------------------------------------------------
    def verify_webhook(self, headers: Mapping[str, str], method: str, url: str,
                       body: bytes) -> None:
        if method.upper() != "POST":
            raise WebhookRejected("outbound messages are POSTed", status=405)
        if not self.org_id:
            raise WebhookRejected("this connection has no org_id to check outbound messages "
                                  "against", status=403)
        message = parse_outbound(body)
        if not same_org(message.organization_id, self.org_id):
            raise WebhookRejected("OrganizationId does not match this connection", status=403)

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]:
        message = parse_outbound(body)
        return [WebhookEvent(n.id, n.fields["Id"], WebhookKind.NOTIFICATION,
                             parse_sf_datetime(n.fields.get("SystemModstamp")
                                               or n.fields.get("LastModifiedDate")
                                               or n.fields.get("CreatedDate")), dict(n.fields))
                for n in message.notifications if n.sobject_type == self.object.name and n.fields.get("Id")]

    def webhook_reply(self, events: Sequence[WebhookEvent]) -> WebhookReply:
        return WebhookReply(200, "text/xml; charset=utf-8", ACK)

    def close(self) -> None:
        self.conn.close()
