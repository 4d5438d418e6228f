"""A starter routing config from the CRM rosters: every active user becomes a rep (matched by
email across CRMs, with each CRM's owner id), one team, and two rules — the matching account's
owner first, then round robin. `python app.py rules init` writes it; the demo imports it."""

from __future__ import annotations

import re
from typing import Iterable

from adapters import CrmUser


def new_rep_id(email: str, taken: set[str]) -> str:
    """A rep id from an email's local part ([a-z0-9_.-]), not among ``taken`` (which it joins)."""
    base = re.sub(r"[^a-z0-9_.-]+", "-", email.split("@")[0].lower()).strip("-.") or "rep"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def starter_config(rosters: dict[str, Iterable[CrmUser]], timezone: str = "UTC",
                   exclude_emails: Iterable[str] = ()) -> dict:
    """``rosters``: connection name -> its users. Inactive users and ``exclude_emails`` (the integration
    user, say) are left out."""
    skip = {e.lower() for e in exclude_emails}
    reps: dict[str, dict] = {}
    taken: set[str] = set()
    for kind, users in rosters.items():
        for user in users:
            if not user.active or not user.email or user.email.lower() in skip:
                continue
            key = user.email.lower()
            if key not in reps:
                reps[key] = {"id": new_rep_id(user.email, taken), "name": user.name or user.email,
                             "email": user.email, "crm": {}}
            reps[key]["crm"][kind] = str(user.id)
    members = [rep["id"] for rep in reps.values()]
    return {
        "version": 1,
        "timezone": timezone,
        "reps": list(reps.values()),
        "teams": [{"id": "everyone", "members": members}],
        "rules": [
            {"name": "existing-customer", "assign": "account_owner"},
            {"name": "round-robin", "to": "team:everyone", "pick": "round_robin", "on_empty": "wait"},
        ],
    }
