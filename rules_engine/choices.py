"""The engine's closed sets of names, declared once as ``StrEnum``s.

The config model validates against them, the engine compares with them, and the vocabulary
(``describe_vocabulary``, the settings page's editor, the API's OpenAPI enums) is generated from
them: a new member appears everywhere at once. Members are ``str``, so ``Skip.AWAY == "away"``
and they serialise as their value.
"""
from __future__ import annotations

from enum import StrEnum


class Choice(StrEnum):
    """A StrEnum whose members carry a human label (the settings page shows it)."""

    label: str

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Skip(Choice):
    """Why a candidate could not take a lead (the trace's ``reason``). Temporary ones may clear
    with time or an admin action (the lead waits); the others rule the rep out for this lead."""

    EXCLUDED = "excluded", "already had this lead (re-routing)"
    INACTIVE = "inactive", "inactive"
    PAUSED = "paused", "paused"
    NO_CRM_OWNER = "no_crm_owner", "no owner id in the lead's CRM connection"
    AWAY = "away", "away (an `away` period)"
    HOLIDAY = "holiday", "on a public holiday or a listed day off (`holidays`)"
    OUTSIDE_HOURS = "outside_hours", "outside working hours"
    MAX_OPEN = "max_open", "max_open open leads reached"
    HOURLY_CAP = "hourly_cap", "hourly cap reached"
    DAILY_CAP = "daily_cap", "daily cap reached"
    WEEKLY_CAP = "weekly_cap", "weekly cap reached"
    TERRITORY = "territory", "lead outside the rep's territories"
    SKILLS = "skills", "rep lacks a required skill"
    GUARDRAIL = "guardrail", "share of the window at the rule's guardrail (max_share x fair share)"

    @property
    def temporary(self) -> bool:
        return self in TEMPORARY_SKIPS


TEMPORARY_SKIPS = frozenset({Skip.PAUSED, Skip.AWAY, Skip.HOLIDAY, Skip.OUTSIDE_HOURS, Skip.MAX_OPEN,
                             Skip.HOURLY_CAP, Skip.DAILY_CAP, Skip.WEEKLY_CAP})
# There, but full: what `balanced` with catch_up still owes a share of the lead to.
CAP_SKIPS = frozenset({Skip.MAX_OPEN, Skip.HOURLY_CAP, Skip.DAILY_CAP, Skip.WEEKLY_CAP})
# What the fallback still honours.
HARD_SKIPS = frozenset({Skip.EXCLUDED, Skip.INACTIVE, Skip.PAUSED, Skip.NO_CRM_OWNER})


class OnEmpty(Choice):
    NEXT = "next", "try the next rule (default)"
    WAIT = "wait", "keep the lead pending with the reason; retried when a candidate becomes available"
    FALLBACK = "fallback", "skip the remaining rules and go to the config's fallback"


class Assign(Choice):
    """A rule's ``assign:``, instead of ``to:``: the owner comes from the CRM's records."""

    ACCOUNT_OWNER = "account_owner", "the owner of the account the lead belongs to (see match)"
    EXISTING_OWNER = "existing_owner", ("the owner of an open lead or contact of the same person "
                                        "(same email, or same name at the same company domain)")



class LadderStep(Choice):
    """What an SLA breach does, one step every ``every`` minutes (read by connector notify)."""

    REMIND = "remind", "remind the rep (same channels as the assignment, rep targets only)"
    REROUTE = "reroute", "route the lead again, excluding every rep who already had it"
    ESCALATE = "escalate", "tell the manager / team channel (`escalate_to`)"


class Match(Choice):
    """Evidence ``assign: account_owner`` may use (``match:``), strongest first."""

    DOMAIN = "domain", ("the lead's email domain, else its website domain, is an account's domain "
                        "or a subdomain of it (free-mail and disposable domains never match)")
    COMPANY = "company", "the lead's company name, normalised, is close to an account's name (threshold)"


class QualityCheck(Choice):
    """The ``quality:`` block's checks; a lead failing one is junk."""

    INVALID_EMAIL = "invalid_email", "the email address is not valid (syntax only, no network)"
    DISPOSABLE_EMAIL = "disposable_email", "the email domain is a disposable (throwaway) mail service"
    TEST_VALUES = "test_values", ("obvious test values: test, asdf, repeated characters, reserved "
                                  "example domains, a name equal to the email")
    INVALID_PHONE = "invalid_phone", "the phone number cannot be valid for the lead's country"


class QualityAction(Choice):
    HOLD = "hold", "status junk, left unassigned"
    ROUTE = "route", "tag the decision as junk and route it as usual"


class Metric(Choice):
    """What ``top_performer`` ranks reps by (``metric:``)."""

    CONVERSION = "conversion", "won / closed, smoothed toward the pool's rate"
    SPEED = "speed", "median time from received to first touch, smoothed toward the pool's median"


class Alert(Choice):
    """A rule's ``alert:``: instead of routing, tell someone when a lead a person owns matches."""

    OWNER = "owner", "tell the lead's current owner, once each time the condition becomes true"
