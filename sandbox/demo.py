"""The demo org: plain data both CRM vendors seed from (and the first-run demo shows).

One sales team of eight reps plus one former rep (inactive: Salesforce refuses to make an
inactive user an owner, a case the connector must handle), ten accounts with domains and
owners. Vendors turn these into their own records and ids.
"""
from __future__ import annotations

from dataclasses import dataclass, field

EMAIL_DOMAIN = "demo.leadrouter.dev"


@dataclass(frozen=True)
class Rep:
    key: str                      # stable handle used by accounts and tests ("maya")
    first_name: str
    last_name: str
    title: str
    timezone: str
    skills: tuple[str, ...]
    countries: tuple[str, ...]    # ISO 3166-1 alpha-2
    states: tuple[str, ...] = ()  # ISO 3166-2 subdivision codes without the country ("CA")
    active: bool = True

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def email(self) -> str:
        last = "".join(ch for ch in self.last_name.lower() if ch.isalnum())
        return f"{self.first_name.lower()}.{last}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    industry: str
    employees: int
    country: str
    state: str | None
    owner: str                    # Rep.key


@dataclass(frozen=True)
class DemoOrg:
    name: str
    team_name: str
    reps: tuple[Rep, ...]
    former_reps: tuple[Rep, ...]
    companies: tuple[Company, ...]
    salesforce_org_id: str        # 15-char 00D id; the vendor adds the 18-char suffix
    salesforce_queue_name: str = "Inbound Leads"
    salesforce_queue_developer_name: str = "Inbound_Leads"
    hubspot_portal_id: int = 24681357
    slack_team_id: str = "T0SANDBOX"
    slack_channel: str = "C0LEADS01"
    admin: tuple[str, str, str] = ("Ada", "Admin", "admin@sandbox.example")  # the API user
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def all_reps(self) -> tuple[Rep, ...]:
        return self.reps + self.former_reps

    def rep(self, key: str) -> Rep:
        for rep in self.all_reps:
            if rep.key == key:
                return rep
        raise KeyError(key)


REPS = (
    Rep("maya", "Maya", "Patel", "Account Executive", "America/Los_Angeles",
        ("enterprise", "saas"), ("US",), ("CA", "WA", "OR")),
    Rep("liam", "Liam", "O'Connor", "Account Executive", "America/New_York",
        ("enterprise", "finance"), ("US",), ("NY", "NJ", "MA")),
    Rep("sofia", "Sofia", "Garcia", "Sales Development Rep", "America/Chicago",
        ("smb", "spanish"), ("US", "MX"), ("TX", "IL")),
    Rep("noah", "Noah", "Kim", "Sales Development Rep", "America/Denver",
        ("smb", "healthcare"), ("US", "CA"), ("CO", "UT", "AZ")),
    Rep("emma", "Emma", "Schmidt", "Account Executive", "Europe/Berlin",
        ("enterprise", "german", "manufacturing"), ("DE", "AT", "CH")),
    Rep("lucas", "Lucas", "Martin", "Account Executive", "Europe/Paris",
        ("mid-market", "french"), ("FR", "BE", "LU")),
    Rep("olivia", "Olivia", "Brown", "Account Executive", "Europe/London",
        ("mid-market", "finance"), ("GB", "IE")),
    Rep("hiro", "Hiro", "Tanaka", "Account Executive", "Asia/Tokyo",
        ("enterprise", "japanese"), ("JP", "AU", "SG")),
)

FORMER_REPS = (
    Rep("grace", "Grace", "Hopper", "Account Executive", "America/New_York",
        ("enterprise",), ("US",), ("VA",), active=False),
)

COMPANIES = (
    Company("Acme Corporation", "acme.example", "Manufacturing", 5200, "US", "CA", "maya"),
    Company("Globex Financial", "globex.example", "Finance", 12000, "US", "NY", "liam"),
    Company("Initech", "initech.example", "Technology", 350, "US", "TX", "sofia"),
    Company("Umbrella Health", "umbrella-health.example", "Healthcare", 2100, "US", "CO", "noah"),
    Company("Stark Maschinenbau GmbH", "stark-mb.example", "Manufacturing", 800, "DE", None,
            "emma"),
    Company("Lumière SA", "lumiere.example", "Retail", 430, "FR", None, "lucas"),
    Company("Hooli UK Ltd", "hooli.example", "Technology", 9500, "GB", None, "olivia"),
    Company("Soylent Foods", "soylent.example", "Food & Beverage", 60, "US", "WA", "maya"),
    Company("Tanaka Robotics KK", "tanaka-robotics.example", "Technology", 1500, "JP", None,
            "hiro"),
    Company("Wayne Enterprises", "wayne.example", "Finance", 30000, "US", "NJ", "liam"),
)

DEMO = DemoOrg(
    name="demo",
    team_name="Inbound Sales",
    reps=REPS,
    former_reps=FORMER_REPS,
    companies=COMPANIES,
    salesforce_org_id="00D5g000004SbxA",
)

ORGS: dict[str, DemoOrg] = {"demo": DEMO}

__all__ = ["Rep", "Company", "DemoOrg", "DEMO", "ORGS", "EMAIL_DOMAIN", "REPS", "FORMER_REPS",
           "COMPANIES"]
