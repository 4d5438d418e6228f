"""Realistic lead generator, in sandbox time.

Produces leads as *canonical generator fields*, which every vendor's `create_lead(data)`
accepts (and maps to its own: Salesforce Lead fields, HubSpot contact properties):

    first_name, last_name, email, phone, title, company, domain, website, industry,
    employees (int), country (ISO alpha-2), state (subdivision code or None), source

and the demo org's custom fields, which a vendor keeps only where its org declares them:

    segment (SMB | Mid-Market | Enterprise, from the size: Salesforce Lead.Segment__c, HubSpot
    contact `segment`), lead_score (0..100: Lead.Lead_Score__c), product_interest (HubSpot
    contact `product_interest`)

With `count` and `rate_per_minute` the generator advances the sandbox clock between leads, so a
day of traffic (say 1,440 leads at 1/min) is created in one call with realistic CreatedDates.
With `rate_per_minute` alone it keeps creating leads in real time until stopped.
"""
from __future__ import annotations

import random
import threading
from typing import Any

FIRST_NAMES = ("James", "Mary", "Robert", "Patricia", "Wei", "Aisha", "Carlos", "Yuki", "Fatima",
               "Oliver", "Chloé", "Mateo", "Ingrid", "Raj", "Zoë", "Kwame", "Anna", "Pierre",
               "Siobhan", "Dmitri", "Lucía", "Hannah", "Tom", "Priya")
LAST_NAMES = ("Smith", "Johnson", "O'Brien", "Nguyen", "Müller", "García", "Rossi", "Kowalski",
              "Okafor", "Tanaka", "Dubois", "Andersson", "D'Angelo", "Chen", "Singh", "Walsh",
              "Novak", "Silva", "Cohen", "MacLeod")
COMPANY_WORDS = ("Blue", "North", "Summit", "Quantum", "Bright", "Iron", "Silver", "Harbor",
                 "Pioneer", "Vertex", "Cedar", "Atlas", "Nova", "Crescent", "Granite")
COMPANY_NOUNS = ("Labs", "Systems", "Logistics", "Health", "Analytics", "Foods", "Robotics",
                 "Capital", "Energy", "Software", "Works", "Partners")
COMPANY_SUFFIX = {"US": "Inc.", "CA": "Ltd.", "MX": "S.A. de C.V.", "GB": "Ltd", "IE": "Ltd",
                  "DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SAS", "BE": "SA", "JP": "KK",
                  "AU": "Pty Ltd", "SG": "Pte Ltd", "BR": "Ltda"}
# Weighted toward the markets the demo team covers; some leads fall outside every territory.
COUNTRIES = (("US", 45), ("GB", 8), ("DE", 8), ("FR", 6), ("CA", 5), ("JP", 5), ("AU", 3),
             ("MX", 3), ("IE", 2), ("CH", 2), ("AT", 2), ("BE", 2), ("SG", 2), ("BR", 2))
STATES = {"US": ("CA", "WA", "OR", "NY", "NJ", "MA", "TX", "IL", "CO", "UT", "AZ", "FL", "GA",
                 "VA"),
          "CA": ("ON", "BC", "QC", "AB"), "MX": ("CMX", "JAL", "NLE"), "AU": ("NSW", "VIC")}
INDUSTRIES = ("Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Education",
              "Food & Beverage", "Energy", "Media", "Transportation")
SIZES = ((1, 10), (11, 50), (51, 200), (201, 1000), (1001, 5000), (5001, 50000))
SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
PRODUCTS = ("Routing", "Scheduling", "Analytics", "Integrations")
TITLES = ("CEO", "CTO", "VP Sales", "Head of Operations", "IT Manager", "Procurement Lead",
          "Marketing Director", "Software Engineer", "CFO", "Office Manager")


class LeadGenerator:
    def __init__(self, seed: int | str | None = None) -> None:
        self._random = random.Random(seed)
        # The custom fields draw from their own stream: the standard fields of a seed stay as they were.
        self._custom = random.Random(None if seed is None else f"{seed}/custom-fields")

    def lead(self) -> dict[str, Any]:
        r = self._random
        first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
        country = r.choices([c for c, _ in COUNTRIES], weights=[w for _, w in COUNTRIES])[0]
        company_base = f"{r.choice(COMPANY_WORDS)} {r.choice(COMPANY_NOUNS)}"
        domain = company_base.lower().replace(" ", "") + ".example"
        low, high = r.choice(SIZES)
        local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isascii() and
                        (ch.isalnum() or ch == "."))
        lead = {
            "first_name": first,
            "last_name": last,
            "email": f"{local}{r.randint(1, 999)}@{domain}",
            "phone": f"+1 555 {r.randint(100, 999)} {r.randint(1000, 9999)}",
            "title": r.choice(TITLES),
            "company": f"{company_base} {COMPANY_SUFFIX.get(country, 'Ltd')}",
            "domain": domain,
            "website": f"https://www.{domain}",
            "industry": r.choice(INDUSTRIES),
            "employees": r.randint(low, high),
            "country": country,
            "state": r.choice(STATES[country]) if country in STATES else None,
            "source": r.choice(SOURCES),
        }
        return {**lead, **self.custom_fields(lead["employees"])}

    def custom_fields(self, employees: int) -> dict[str, Any]:
        segment = "SMB" if employees < 200 else "Mid-Market" if employees <= 1000 else "Enterprise"
        return {"segment": segment, "lead_score": self._custom.randint(0, 100),
                "product_interest": self._custom.choice(PRODUCTS)}


class GeneratorRunner:
    """Runs generation jobs for a sandbox; one background job per vendor at most."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self._jobs: dict[str, tuple[threading.Thread, threading.Event]] = {}
        self._lock = threading.Lock()

    def run(self, vendor: str, *, count: int | None = None, rate_per_minute: float | None = None,
            seed: int | str | None = None) -> dict:
        target = self.sandbox.vendor(vendor)  # KeyError for an unknown vendor
        generator = LeadGenerator(seed)
        if count is None and not rate_per_minute:
            raise ValueError("give count, rate_per_minute, or both")
        if count is not None:
            if count < 0 or count > 100_000:
                raise ValueError("count must be within 0..100000")
            step = 60.0 / rate_per_minute if rate_per_minute else 0.0
            ids = []
            for index in range(count):
                if index and step:
                    self.sandbox.clock.advance(step)
                record = target.create_lead(generator.lead())
                ids.append(record.get("id") or record.get("Id"))  # HubSpot "id", Salesforce "Id"
            return {"vendor": vendor, "created": len(ids), "ids": ids}
        self.stop(vendor)
        stop = threading.Event()
        interval = 60.0 / float(rate_per_minute)
        thread = threading.Thread(target=self._loop, args=(target, generator, interval, stop),
                                  name=f"sandbox-generator-{vendor}", daemon=True)
        with self._lock:
            self._jobs[vendor] = (thread, stop)
        thread.start()
        return {"vendor": vendor, "running": True, "rate_per_minute": rate_per_minute}

    def _loop(self, target: Any, generator: LeadGenerator, interval: float,
              stop: threading.Event) -> None:
        while not stop.wait(interval):
            target.create_lead(generator.lead())

    def stop(self, vendor: str | None = None) -> list[str]:
        with self._lock:
            names = [vendor] if vendor else list(self._jobs)
            stopped = []
            for name in names:
                job = self._jobs.pop(name, None)
                if job:
                    job[1].set()
                    stopped.append(name)
            return stopped

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._jobs)


__all__ = ["LeadGenerator", "GeneratorRunner"]
