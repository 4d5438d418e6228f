"""What the first-run demo sets up, as a manager would: the demo CRM's sales org as a routing
config that uses every kind of rule, and the opening leads that show each at work.

Two teams across time zones (the Americas; EMEA and APAC), each rep with the territories and
skills the CRM holds for them, working hours for the account executives (the two SDRs cover the
inbound line around the clock, so a lead always finds someone), weights for the enterprise
rotation, an hourly cap, a team manager and a Slack channel, Slack DMs, an SLA with a ladder and
a daily digest. The rules, top to bottom: the account's owner for existing customers, enterprise
leads by weight within territory, then each region's team (round robin, least loaded), then the
fallback.

The opening leads are chosen so that within a minute the log shows each method with its reasons:
an existing customer, an enterprise lead, a second lead for a rep at their hourly cap, a lead in
no rep's territory, and one lead in each account executive's territory, whichever of them is
outside working hours at the time. Plain data in, plain data out: ``connector/demo.py`` (the one
module allowed to import the sandbox) hands in the sandbox's demo org and creates the leads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from adapters import CrmUser
from connector.notify import SlackNotifier, get_runtime

log = logging.getLogger(__name__)

TEAMS = (  # id, name, members in rotation order, manager (a rep key)
    ("americas", "Americas", ("maya", "liam", "sofia", "noah"), "liam"),
    ("emea-apac", "EMEA & APAC", ("emma", "lucas", "olivia", "hiro"), "olivia"),
)
CHANNEL = "#leads"
ALWAYS_ON = frozenset({"sofia", "noah"})   # SDRs: no working hours
HOURS = {"mon-fri": "09:00-18:00"}
WEIGHTS = {"maya": 3, "liam": 2, "emma": 2, "hiro": 2}
CAPS = {"noah": {"hourly_cap": 1, "daily_cap": 20}, "maya": {"max_open": 40}}
AMERICAS = ["US", "CA", "MX"]
EMEA_APAC = ["GB", "IE", "DE", "AT", "CH", "FR", "BE", "LU", "JP", "AU", "SG"]


def _territories(rep: Any) -> list[dict[str, Any]]:
    """The CRM's territory fields as the engine's: the states belong to the first country."""
    countries = list(rep.countries)
    first = {"country": countries[0], **({"state": list(rep.states)} if rep.states else {})}
    return [first] + [{"country": c} for c in countries[1:]]


def _owner_ids(email: str, rosters: dict[str, Iterable[CrmUser]]) -> dict[str, str]:
    return {name: str(user.id) for name, users in rosters.items() for user in users
            if user.email and user.email.lower() == email.lower()}


def _rep(rep: Any, rosters: dict[str, Iterable[CrmUser]]) -> dict[str, Any]:
    out = {"id": rep.key, "name": rep.name, "email": rep.email, "crm": _owner_ids(rep.email, rosters),
           "timezone": rep.timezone, "skills": list(rep.skills), "territories": _territories(rep)}
    if rep.key not in ALWAYS_ON:
        out["hours"] = dict(HOURS)
    if rep.key in WEIGHTS:
        out["weight"] = WEIGHTS[rep.key]
    return {**out, **CAPS.get(rep.key, {})}


def demo_config(org: Any, rosters: dict[str, Iterable[CrmUser]]) -> dict[str, Any]:
    """The routing config of the demo org (``sandbox.demo.DemoOrg``): its active reps linked to
    their owner ids in each connection (``rosters``: connection name -> its users)."""
    rosters = {name: list(users) for name, users in rosters.items()}
    reps = [_rep(rep, rosters) for rep in org.reps]
    email = {rep.key: rep.email for rep in org.reps}
    return {
        "version": 1, "timezone": "America/New_York",
        "reps": reps,
        "teams": [{"id": tid, "name": name, "members": list(members), "manager": email[manager], "channel": CHANNEL}
                  for tid, name, members, manager in TEAMS],
        "rules": [
            {"name": "existing-customer", "description": "a contact of a customer goes to the account's owner",
             "assign": "account_owner", "match": ["domain", "company"]},
            {"name": "enterprise", "description": "1,000+ employees: account executives by weight, in territory",
             "when": {"field": "employees", "op": "gte", "value": 1000},
             "to": ["team:americas", "team:emea-apac"], "require": ["territory"], "pick": "weighted"},
            {"name": "americas", "when": {"field": "country", "op": "in", "value": AMERICAS},
             "to": "team:americas", "require": ["territory"], "pick": "round_robin"},
            {"name": "emea-apac", "when": {"field": "country", "op": "in", "value": EMEA_APAC},
             "to": "team:emea-apac", "require": ["territory"], "pick": "least_loaded"},
        ],
        "fallback": "team:americas",
        "notify": ["slack:rep", "slack:team"],
        "sla": {"minutes": 15, "every": 10, "ladder": ["remind", "reroute", "escalate"]},
        "digest": {"at": "08:00"},
    }


def _lead(first: str, last: str, company: str, domain: str, country: str, state: str | None, employees: int,
          industry: str = "Technology", tag: str = "") -> dict[str, Any]:
    local = "".join(ch for ch in f"{first}.{last}{tag}".lower() if ch.isalnum() or ch == ".")
    return {"first_name": first, "last_name": last, "email": f"{local}@{domain}",
            "company": company, "domain": domain, "website": f"https://www.{domain}", "country": country,
            "state": state, "employees": employees, "industry": industry, "title": "Head of Operations",
            "source": "Web", "phone": "+1 555 010 2030"}


def opening_leads(org: Any) -> list[tuple[str, dict[str, Any]]]:
    """(vendor, lead) pairs, in order, that show every rule and the usual reasons a rep is skipped."""
    customer = next(c for c in org.companies if c.owner in ALWAYS_ON)   # its owner is always on
    leads = [
        _lead("Dana", "Reyes", customer.name, customer.domain, customer.country, customer.state, 80),
        _lead("Marco", "Silva", "Harbor Analytics Inc.", "harboranalytics.example", "US", "CO", 4200, "Finance"),
        _lead("Ines", "Okafor", "Cedar Works Inc.", "cedarworks.example", "US", "UT", 40),   # noah's hourly cap
        _lead("Tom", "Walsh", "Granite Labs Inc.", "granitelabs.example", "US", "TX", 120),
        _lead("Priya", "Singh", "Summit Health Inc.", "summithealth.example", "US", "FL", 60),  # nobody's territory
    ]
    for rep in org.reps:   # one lead in each account executive's territory: in hours or not, it shows
        if rep.key not in ALWAYS_ON:
            state = rep.states[0] if rep.states else None
            leads.append(_lead("Alex", rep.last_name, f"{rep.last_name} Partners",
                               f"{rep.key}-partners.example", rep.countries[0], state, 150))
    return [("hubspot" if i % 2 == 0 else "salesforce", lead) for i, lead in enumerate(leads)]


def customer_leads(org: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Forever: a new contact at each customer in turn (the account owner's rule keeps showing)."""
    names = (("Lena", "Berg"), ("Omar", "Haddad"), ("Keiko", "Sato"), ("Rui", "Costa"), ("Ada", "Nwosu"))
    n = 0
    while True:
        company = org.companies[n % len(org.companies)]
        first, last = names[n % len(names)]
        yield ("hubspot" if n % 2 else "salesforce",
               _lead(first, last, company.name, company.domain, company.country, company.state, 200, tag=str(n)))
        n += 1


class Trickle:
    """Creates the opening leads a few seconds apart, then a customer's contact now and then, in
    the demo CRM (``create(vendor, lead)``), until stopped (with the demo CRM)."""

    def __init__(self, create: Callable[[str, dict], Any], opening: list[tuple[str, dict]],
                 later: Iterator[tuple[str, dict]], *, opening_every: float = 2.0, later_every: float = 40.0) -> None:
        self.create, self.opening, self.later = create, opening, later
        self.opening_every, self.later_every = opening_every, later_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-leads", daemon=True)

    def start(self) -> Trickle:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        for vendor, lead in self.opening:
            if self._stop.wait(self.opening_every):
                return
            self.create(vendor, {k: v for k, v in lead.items() if v is not None})
        for vendor, lead in self.later:
            if self._stop.wait(self.later_every):
                return
            self.create(vendor, lead)


def connect_slack(app: Flask, slack: Any, api_url: str, ca_bundle: str, actions_url: str) -> None:
    """The demo CRM's Slack workspace (``slack``: its vendor) as the app's Slack, unless a real one is
    set up: DMs and channel posts go there, and its buttons are sent, signed, to ``actions_url``."""
    runtime = get_runtime(app)
    if "slack" not in runtime.notifiers:
        runtime.notifiers["slack"] = SlackNotifier(slack.state.token, base_url=api_url, ca_bundle=ca_bundle)
        runtime.signing_secret = slack.state.signing_secret
    slack.interactivity_url = actions_url


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:   # the demo's pages: no line per request
        pass


class DemoCrm:
    """The demo CRM running beside the app (``running``: the sandbox server, over TLS as the
    adapters want), its pages over plain HTTP for a person's browser (which trusts no sandbox CA),
    and the leads it is being fed; ``stop()`` ends all three."""

    def __init__(self, running: Any, pages_port: int = 0) -> None:
        self.running = running
        self.trickle: Trickle | None = None
        pages = running.sandbox.wsgi_app()
        try:
            self._pages = make_server("127.0.0.1", pages_port, pages, threaded=True, request_handler=_Quiet)
        except OSError:   # the port is taken (another demo running): any free port will do
            self._pages = make_server("127.0.0.1", 0, pages, threaded=True, request_handler=_Quiet)
        threading.Thread(target=self._pages.serve_forever, name="demo-pages", daemon=True).start()

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def ca_path(self) -> Any:
        return self.running.ca_path

    @property
    def sandbox(self) -> Any:
        return self.running.sandbox

    @property
    def slack_inbox_url(self) -> str:
        return f"http://127.0.0.1:{self._pages.server_port}/__sandbox__/slack/inbox"

    def stop(self) -> None:
        if self.trickle is not None:
            self.trickle.stop()
        self._pages.shutdown()
        self._pages.server_close()
        self.running.stop()
