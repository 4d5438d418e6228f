"""Turning the demo org (sandbox.demo) into Salesforce records: the API admin, one User per
rep (plus the inactive former rep), the "Inbound Leads" queue with its members, and accounts.
The lead assignment rule sends every new lead to that queue, as a real org's default rule does.
"""
from __future__ import annotations

from typing import Any

import sandbox.salesforce.ids as ids
from sandbox.salesforce.schema import Field, FieldType, declare_custom_field

# The demo org's custom Lead fields (Setup -> Object Manager -> Lead -> Fields & Relationships).
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
DEMO_LEAD_FIELDS = (Field("Segment__c", FieldType.PICKLIST, picklist=SEGMENTS, restricted=True),
                    Field("Lead_Score__c", FieldType.DOUBLE, precision=3, scale=0))


def declare_custom_fields(store: Any) -> None:
    for f in DEMO_LEAD_FIELDS:
        declare_custom_field(store.schema, "Lead", f)


def _user_values(first: str, last: str, email: str, username: str, title: str, tz: str,
                 active: bool = True, **extra: Any) -> dict:
    alias = (first[:1] + "".join(ch for ch in last if ch.isalnum()))[:8].lower()
    return {"FirstName": first, "LastName": last, "Email": email, "Username": username,
            "Alias": alias, "Title": title, "TimeZoneSidKey": tz, "IsActive": active, **extra}


def seed_org(target: Any, org: Any, *, org_id: str | None = None, username_suffix: str = "") -> None:
    """``target``: a sandbox org (sandbox.salesforce.org.Org). Usernames are unique across all
    of Salesforce, so a second org seeded from the same team gives its reps' usernames a suffix
    (``maya.patel@demo.leadrouter.dev.emea``), the way admins name users in further orgs."""
    store = target.store
    store.reset()
    declare_custom_fields(store)
    store.org_id = ids.to18(org_id or org.salesforce_org_id)
    target.org_name = f"{org.team_name} ({org.name})"
    first, last, email = org.admin
    admin = store.insert("User", _user_values(
        first, last, email, target.option("username"), "System Administrator",
        "America/Los_Angeles", Department="IT"), system=True)
    store.admin_id = admin["Id"]
    for rec in (admin,):
        rec["CreatedById"] = rec["LastModifiedById"] = admin["Id"]
    users = {}
    for rep in org.all_reps:
        users[rep.key] = store.insert("User", _user_values(
            rep.first_name, rep.last_name, rep.email, rep.email + username_suffix, rep.title, rep.timezone,
            rep.active, Department=org.team_name, Skills__c=";".join(rep.skills),
            Territory_Countries__c=";".join(rep.countries),
            Territory_States__c=";".join(rep.states) or None,
            Country=rep.countries[0]), system=True)
    queue = store.insert("Group", {"Name": org.salesforce_queue_name,
                                   "DeveloperName": org.salesforce_queue_developer_name,
                                   "Type": "Queue", "DoesSendEmailToMembers": False}, system=True)
    for rep in org.reps:
        store.insert("GroupMember", {"GroupId": queue["Id"], "UserOrGroupId": users[rep.key]["Id"]},
                     system=True)
    for company in org.companies:
        store.insert("Account", {
            "Name": company.name, "Website": f"https://www.{company.domain}",
            "Industry": company.industry, "NumberOfEmployees": company.employees,
            "BillingCountry": company.country, "BillingState": company.state,
            "Type": "Customer - Direct", "OwnerId": users[company.owner]["Id"]}, system=True)
    store.assignment_owner_id = queue["Id"]
