"""Creating and checking API tokens."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.models import ApiToken
from service.db import isoformat, utcnow
from service.errors import NotFound
from service.security import hash_secret

TOKEN_PREFIX = "cvr_"  # noqa: S105 - a public prefix, not a secret


def create_token(session: Session, name: str) -> str:
    """A new bearer token, shown once; only its hash is stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=hash_secret(secret)))
    session.flush()
    return secret


class UnknownToken(NotFound):
    """No token has this id."""


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, live or revoked, oldest first (their secrets are not kept)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Refuse the token from now on (revoking twice keeps the first time); UnknownToken."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise UnknownToken(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def token_json(token: ApiToken) -> dict[str, object]:
    """A token as `convier token list --format json` and the API show it."""
    return {
        "id": token.id,
        "name": token.name,
        "created_at": isoformat(token.created_at),
        "revoked_at": isoformat(token.revoked_at),
    }


def check_token(session: Session, secret: str) -> ApiToken | None:
    """The live token matching `secret`, if any."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return token
