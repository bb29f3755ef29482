"""Creating and checking API tokens."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.models import ApiToken
from service.security import hash_secret

TOKEN_PREFIX = "cvr_"  # noqa: S105 - a public prefix, not a secret


def create_token(session: Session, name: str) -> str:
    """A new bearer token, shown once; only its hash is stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=hash_secret(secret)))
    session.flush()
    return secret


def check_token(session: Session, secret: str) -> ApiToken | None:
    """The live token matching `secret`, if any."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return token
