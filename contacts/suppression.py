"""The suppression list: addresses never to be mailed again, kept as keyed hashes so that the
list survives the erasure of the person's data without keeping their address.

Hashes are made with the newest secret key and looked up under every listed key (SECRET_KEY and
SECRET_KEYS_OLD), so that rotating the key keeps every suppression in force while the old key is
listed.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from contacts.models import Contact, Suppression, SuppressionReason, normalise_email
from contacts.sql import among
from service.config import Settings
from service.db import utcnow

FEW_HASHES = 500  # looked up at once; for more, the list is counted first: it may be smaller


def email_hash(key: str, email: str) -> str:
    """The keyed hash under which an address is suppressed."""
    return hmac.digest(key.encode(), normalise_email(email).encode(), "sha256").hex()


def suppress(session: Session, settings: Settings, email: str, reason: SuppressionReason) -> bool:
    """Put an address on the suppression list; False when it was there already."""
    if is_suppressed(session, settings, email):
        return False
    session.add(Suppression(email_hash=email_hash(settings.secret_key, email), reason=reason))
    session.execute(
        update(Contact)
        .where(Contact.email == normalise_email(email), Contact.suppressed_at.is_(None))
        .values(suppressed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return True


def suppressed_among(session: Session, settings: Settings, emails: Iterable[str]) -> set[str]:
    """The addresses of `emails` (normalised) that are on the suppression list."""
    by_hash: dict[str, str] = {}
    for email in {normalise_email(e) for e in emails}:
        for key in settings.signing_keys:
            by_hash[email_hash(key, email)] = email
    return {by_hash[h] for h in _listed(session, list(by_hash))}


def _listed(session: Session, hashes: list[str]) -> set[str]:
    """The hashes that are on the list: looked up or, when there are more of them than the list
    has rows, found by reading the whole list once."""
    if len(hashes) > FEW_HASHES:
        listed = session.scalar(select(func.count()).select_from(Suppression)) or 0
        if listed <= len(hashes):
            return set(hashes).intersection(session.scalars(select(Suppression.email_hash)))
    return set(
        session.scalars(
            select(Suppression.email_hash).where(among(session, Suppression.email_hash, hashes))
        )
    )


def suppression_of(session: Session, settings: Settings, email: str) -> Suppression | None:
    """The suppression of an address, under whichever listed key it was made."""
    hashes = [email_hash(key, email) for key in settings.signing_keys]
    return session.scalar(select(Suppression).where(Suppression.email_hash.in_(hashes)))


def is_suppressed(session: Session, settings: Settings, email: str) -> bool:
    """Whether this address must not be mailed."""
    return suppression_of(session, settings, email) is not None
