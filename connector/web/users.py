"""Users, passwords and API tokens.

Passwords: werkzeug's scrypt hash (slow on purpose). Logins: after ``MAX_FAILURES`` wrong
passwords in a row the account is locked for ``LOCK_FOR`` (the lock is per account and lives in
the database, so it holds across processes); the web layer adds a per-IP window on top.
API tokens: random, shown once, stored as SHA-256 (they are long and random, so a fast hash is
enough and lookups stay one indexed query).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from connector.platform.db import Database
from connector.web.models import ApiToken, User, UserRole
from connector.platform.services import Invalid, NotFound, audit, check_id

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10
TOKEN_PREFIX = "lr_"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000")


@dataclass(frozen=True)
class Principal:
    """Who is acting: what the pages and the API know about a signed-in user."""

    id: int
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN


def _principal(user: User) -> Principal:
    return Principal(user.id, user.email, user.role)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def count_users(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def create_user(db: Database, email: str, password: str, role: str, *, actor: str) -> Principal:
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not EMAIL.match(email):
        errors["email"] = ["enter an email address like ana@example.com"]
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = [f"use at least {MIN_PASSWORD} characters"]
    if role not in {r.value for r in UserRole}:
        errors["role"] = ["choose admin or manager"]
    if errors:
        raise Invalid(errors)
    with db.session() as session:
        if session.scalar(select(User).where(User.email == email)) is not None:
            raise Invalid({"email": ["a user with this email already exists"]})
        user = User(email=email, password_hash=generate_password_hash(password), role=role, active=True)
        session.add(user)
        session.flush()
        audit(session, actor, "user.create", "user", str(user.id), email=email, role=role)
        return _principal(user)


def create_first_admin(db: Database, email: str, password: str) -> Principal:
    """The first-run flow: only while no user exists at all."""
    if count_users(db):
        raise Invalid({"": ["an admin already exists: sign in instead"]})
    return create_user(db, email, password, UserRole.ADMIN, actor=f"first-run:{email.strip().lower()}")


class LoginRefused(Exception):
    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


def authenticate(db: Database, email: str, password: str) -> Principal:
    """The user for these credentials, or ``LoginRefused`` with a message safe to show (it
    never says whether the email exists)."""
    email = (email or "").strip().lower()
    now = _now()
    # The refusal is raised after the transaction commits: a failed attempt must be counted.
    refusal: LoginRefused | None = None
    with db.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            check_password_hash(_DUMMY_HASH, password or "")
            refusal = LoginRefused("wrong email or password")
        elif user.locked_until is not None and user.locked_until > now:
            refusal = LoginRefused("too many failed attempts: this account is locked for a while", user.locked_until)
        elif not check_password_hash(user.password_hash, password or "") or not user.active:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until, user.failed_logins = now + LOCK_FOR, 0
                audit(session, email, "user.locked", "user", str(user.id), minutes=LOCK_FOR.seconds // 60)
            refusal = LoginRefused("wrong email or password")
        else:
            user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
            principal = _principal(user)
    if refusal is not None:
        raise refusal
    return principal


def load_principal(db: Database, user_id: int) -> Principal | None:
    if not 0 < user_id < 2**63:
        return None
    with db.session() as session:
        user = session.get(User, user_id)
        return _principal(user) if user is not None and user.active else None


def list_users(db: Database) -> list[User]:
    with db.session() as session:
        return list(session.scalars(select(User).order_by(User.email)))


def set_active(db: Database, user_id: int, active: bool, *, actor: Principal) -> None:
    """Switch a user off (sessions and API tokens stop working at their next request) or on."""
    check_id(user_id, "user")
    with db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        if user.id == actor.id and not active:
            raise Invalid({"": ["you cannot switch yourself off"]})
        user.active = active
        audit(session, actor.email, "user.enable" if active else "user.disable", "user", str(user.id), email=user.email)


# -- API tokens -----------------------------------------------------------------------------
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Database, principal: Principal, name: str) -> str:
    """A new token for this user; the plain value is returned once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid({"name": ["give the token a name (up to 100 characters), e.g. 'CI deploy'"]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.session() as session:
        row = ApiToken(user_id=principal.id, name=name, token_hash=_digest(token))
        session.add(row)
        session.flush()
        audit(session, principal.email, "api_token.create", "api_token", str(row.id), name=name)
    return token


def list_tokens(db: Database, principal: Principal) -> list[ApiToken]:
    with db.session() as session:
        return list(session.scalars(select(ApiToken).where(ApiToken.user_id == principal.id)
                                    .order_by(ApiToken.created_at.desc())))


def revoke_token(db: Database, principal: Principal, token_id: int) -> None:
    check_id(token_id, "token")
    with db.session() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != principal.id:
            raise NotFound("no such token")
        if row.revoked_at is None:
            row.revoked_at = _now()
            audit(session, principal.email, "api_token.revoke", "api_token", str(row.id), name=row.name)


def principal_for_token(db: Database, token: str) -> Principal | None:
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    with db.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
        if row is None or row.revoked_at is not None:
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            return None
        row.last_used_at = _now()
        return _principal(user)
