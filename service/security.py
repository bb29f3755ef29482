"""Signed, purpose-bound links: a token carries an invitation's public id and version, signed with
the newest key and verified with every listed key."""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from service.errors import NotFound

# Paths whose segment is a credential: personal links, unsubscribe links, partner report links,
# the Inbound Parse URL.
TOKEN_IN_PATH = re.compile(r"(/[ru]/|/report/\d+/|/webhooks/sendgrid/inbound/)[^/?\s]+")


def redact_tokens(text: str) -> str:
    """`text` with every credential in a path written `…` (`/r/…`): a link's path is its
    credential."""
    return TOKEN_IN_PATH.sub(r"\1…", text)


class Purpose(enum.StrEnum):
    """What a link may be used for; a token signed for one purpose is refused for another."""

    INVITATION = "invitation"
    UNSUBSCRIBE = "unsubscribe"
    SIGN_IN = "sign-in"  # a back-office account's one-time link


class LinkProblem(enum.StrEnum):
    """Why a link was refused; forged and unknown links get the same answer."""

    INVALID = "invalid"
    EXPIRED = "expired"


class LinkRefused(NotFound):
    """A link that cannot be used: forged or unknown (404, one answer for both)."""

    code = "link_invalid"

    def __init__(self, problem: LinkProblem):
        super().__init__(f"the link is {problem}")
        self.problem = problem

    @staticmethod
    def of(problem: LinkProblem) -> LinkRefused:
        """The refusal that says why: an expired link is 410 Gone."""
        return LinkExpired(problem) if problem is LinkProblem.EXPIRED else LinkRefused(problem)


class LinkExpired(LinkRefused):
    """A link past its age: 410, the person asks the organiser for a new one."""

    status = 410
    code = "link_expired"


@dataclass(frozen=True)
class LinkClaim:
    """What a verified token says: the public id of its subject and the version it was made for."""

    public_id: str
    version: int


def new_public_id() -> str:
    """An opaque, unguessable identifier for links."""
    return secrets.token_urlsafe(12)


def hash_secret(value: str) -> str:
    """The stored form of a bearer secret."""
    return hashlib.sha256(value.encode()).hexdigest()


@lru_cache(maxsize=32)
def _serializer(keys: tuple[str, ...], purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(list(keys), salt=f"convier.{purpose.value}")


def make_token(keys: list[str], purpose: Purpose, public_id: str, version: int = 1) -> str:
    """A URL-safe token for `purpose`, signed with the newest of `keys`."""
    return _serializer(tuple(keys), purpose).dumps([public_id, version])


def read_token(
    keys: list[str], purpose: Purpose, token: str, max_age_seconds: int
) -> LinkClaim | LinkProblem:
    """The claim of a token, or why it is refused."""
    try:
        payload = _serializer(tuple(keys), purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        return LinkProblem.EXPIRED
    except BadSignature:
        return LinkProblem.INVALID
    match payload:
        case [str(public_id), int(version)]:
            return LinkClaim(public_id, version)
    return LinkProblem.INVALID
