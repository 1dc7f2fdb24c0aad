"""Staff users: creating them, checking their passwords (with lockout), and the
Principal a logged-in user acts as. No Flask request objects here: testable as is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from dsar.extensions import db
from dsar.models import Controller, Role, User
from dsar.permissions import Principal
from dsar.timeutil import now as current_time

MIN_PASSWORD_LENGTH = 12
USER_ROLES = (Role.OPERATOR_ADMIN, Role.OPERATOR_AGENT, Role.CONTROLLER_ADMIN, Role.CONTROLLER_AGENT)
# Checked when the email is unknown, so an unknown and a known address take as long.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class AccountError(ValueError):
    """A user that cannot be created or changed as asked."""


def principal_of(user: User) -> Principal:
    """The Principal a staff user acts as: their role, their tenant (None: operator), their email."""
    return Principal(role=Role(user.role), controller_id=user.controller_id, name=user.email)


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()


def create_user(email: str, role: str, password: str, controller_id: str | None = None, name: str = "") -> User:
    """Create a staff user; raise AccountError for a weak password or an impossible role/tenant."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address")
    try:
        role_value = Role(role)
    except ValueError:
        role_value = None
    if role_value not in USER_ROLES:
        raise AccountError(f"{role!r} is not a staff role; one of: {', '.join(r.value for r in USER_ROLES)}")
    if role_value.is_operator and controller_id:
        raise AccountError(f"{role} is an operator role: it takes no --controller")
    if not role_value.is_operator:
        if not controller_id:
            raise AccountError(f"{role} needs --controller")
        if db.session.get(Controller, controller_id) is None:
            raise AccountError(f"unknown controller {controller_id!r}; run 'dsar register sync' first?")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password is too weak: use at least {MIN_PASSWORD_LENGTH} characters")
    if find_user(email) is not None:
        raise AccountError(f"a user {email} already exists")
    user = User(email=email, name=name, role=role_value.value, controller_id=controller_id or None,
                password_hash=generate_password_hash(password), active=True, failed_logins=0,
                created_at=current_time())
    db.session.add(user)
    db.session.commit()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


def check_login(email: str, password: str, *, now: datetime | None = None) -> LoginResult:
    """Check a login attempt; count failures and lock the account after too many.

    A locked account refuses even the right password, and the attempt still counts.
    """
    now = now or current_time()
    config = current_app.config
    max_failures = int(config.get("LOGIN_MAX_FAILURES", 5))
    lock = timedelta(minutes=int(config.get("LOGIN_LOCK_MINUTES", 15)))
    user = db.session.scalars(
        select(User).where(User.email == email.strip().lower()).with_for_update()).one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        db.session.rollback()
        return LoginResult(None)
    if user.locked_until is not None and user.locked_until > now:
        user.failed_logins += 1
        db.session.commit()
        return LoginResult(None, user.locked_until)
    if not check_password_hash(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + lock
        locked_until = user.locked_until if user.locked_until and user.locked_until > now else None
        db.session.commit()
        return LoginResult(None, locked_until)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    db.session.commit()
    return LoginResult(user)


def unlock(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise AccountError(f"no user {email}")
    user.failed_logins, user.locked_until = 0, None
    db.session.commit()
    return user


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.controller_id.is_not(None), User.controller_id, User.email)))
