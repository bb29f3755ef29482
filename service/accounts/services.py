"""Accounts of the back office: create, list and disable them, set a password, sign in by
password or by a one-time link; every change written to the audit log."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from contacts.models import normalise_email
from service.accounts.models import Role, User, UserEvent
from service.audit.services import record
from service.config import Settings
from service.db import utcnow
from service.errors import Conflict, Invalid, NotAllowed, NotFound
from service.events.models import Event
from service.security import LinkClaim, Purpose, make_token, read_token

PASSWORD_MIN = 10
PASSWORD_MAX = 200  # argon2 hashes anything, but a megabyte of password is an attack
SIGN_IN_LINK_MAX_AGE_S = 7 * 24 * 3600  # long enough for a welcome email read after a weekend
_hasher = PasswordHasher()
# Checked when the address is unknown, so that a wrong address costs as long as a wrong password.
_NOBODY = _hasher.hash("no such account")


class SignInRefused(NotAllowed):
    """Wrong address, wrong password, disabled account or used link: one answer for all."""

    code = "sign_in_refused"

    def __init__(self) -> None:
        super().__init__("the address and password do not match an active account")


def _address(email: str) -> str:
    try:
        return normalise_email(validate_email(email.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise Invalid("email", str(exc)) from exc


def create_user(
    session: Session, email: str, role: Role, event_ids: Iterable[int] = (), actor: str = "cli"
) -> User:
    """A new account without a password (it is set through the sign-in link); a door account
    names the events it works for, and only a door account does."""
    address = _address(email)
    events = sorted(set(event_ids))
    if role is Role.DOOR and not events:
        raise Invalid("event", "a door account names at least one event")
    if role is not Role.DOOR and events:
        raise Invalid("event", "only a door account is limited to events")
    known = set(session.scalars(select(Event.id).where(Event.id.in_(events))))
    if missing := [str(event_id) for event_id in events if event_id not in known]:
        unknown = f"no event {', '.join(missing)}"
        raise NotFound(unknown, fields={"event": unknown})
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Conflict(f"an account for {address} exists", fields={"email": "already has one"})
    user = User(email=address, role=role, event_links=[UserEvent(event_id=e) for e in events])
    session.add(user)
    session.flush()
    record(session, actor, "user.created", None, address, role=role.value, events=events)
    return user


def list_users(session: Session) -> list[User]:
    """Every account, active ones first, by address."""
    return list(session.scalars(select(User).order_by(User.disabled_at.is_not(None), User.email)))


def get_user(session: Session, user_id: int) -> User:
    """The account `user_id`; NotFound otherwise."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no account {user_id}")
    return user


def find_user(session: Session, email: str) -> User:
    """The account of `email`; NotFound otherwise."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"no account for {email}", fields={"email": f"no account for {email}"})
    return user


def active_user(session: Session, email: str) -> User | None:
    """The active account of `email`, or None (also for an address that is not one)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    return user if user is not None and user.disabled_at is None else None


def disable_user(session: Session, user: User, actor: str = "cli") -> User:
    """Refuse the account from now on; its open sessions and links stop working at once."""
    if user.disabled_at is None:
        user.disabled_at = utcnow()
        user.credentials_version += 1
        record(session, actor, "user.disabled", None, user.email)
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Store the argon2 hash of `password`; other sessions and links of the account end."""
    if len(password) < PASSWORD_MIN:
        raise Invalid("password", f"at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise Invalid("password", f"at most {PASSWORD_MAX} characters")
    user.password_hash = _hasher.hash(password)
    user.credentials_version += 1
    record(session, user.email, "user.password_set", None, user.email)


def authenticate(session: Session, email: str, password: str) -> User:
    """The active account whose address and password these are; SignInRefused otherwise."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    stored = user.password_hash if user is not None and user.password_hash else _NOBODY
    try:
        _hasher.verify(stored, password[:PASSWORD_MAX])
    except (VerificationError, InvalidHashError):
        raise SignInRefused() from None
    if user is None or user.password_hash is None or user.disabled_at is not None:
        raise SignInRefused()
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    user.last_sign_in_at = utcnow()
    return user


def _link_subject(user: User) -> str:
    # The last sign-in is part of what the link signs: once used, or after any sign-in, it is dead.
    last = user.last_sign_in_at.timestamp() if user.last_sign_in_at else 0
    return f"{user.id}:{last:.6f}"


def sign_in_link(settings: Settings, user: User) -> str:
    """A one-time link signing `user` in (and, on a new account, asking for a password)."""
    token = make_token(
        settings.signing_keys, Purpose.SIGN_IN, _link_subject(user), user.credentials_version
    )
    return f"{settings.base_url}/manage/link/{token}"


def sign_in_link_user(session: Session, settings: Settings, token: str) -> User:
    """The active account a sign-in link was made for, read only; SignInRefused for a link that
    is forged, expired, already used or of a disabled account."""
    claim = read_token(settings.signing_keys, Purpose.SIGN_IN, token, SIGN_IN_LINK_MAX_AGE_S)
    if not isinstance(claim, LinkClaim):
        raise SignInRefused()
    user_id, _, _ = claim.public_id.partition(":")
    user = session.get(User, int(user_id)) if user_id.isdigit() else None
    if (
        user is None
        or user.disabled_at is not None
        or claim.version != user.credentials_version
        or claim.public_id != _link_subject(user)
    ):
        raise SignInRefused()
    return user


def use_sign_in_link(
    session: Session, settings: Settings, token: str, password: str | None = None
) -> User:
    """Sign in by the link, which then stops working; an account without a password must
    choose one here, any account may change it here."""
    user = sign_in_link_user(session, settings, token)
    if password is None and user.password_hash is None:
        raise Invalid("password", "choose a password")
    if password is not None:
        set_password(session, user, password)
    user.last_sign_in_at = utcnow()
    return user


def session_user(session: Session, user_id: int, version: int) -> User | None:
    """The account a browser session names, while it is active and its credentials unchanged."""
    user = session.get(User, user_id)
    if user is None or user.disabled_at is not None or user.credentials_version != version:
        return None
    return user
