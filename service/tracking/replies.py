"""Replies to the per-invitation reply addresses (r+<invitation>@REPLY_DOMAIN), received through
SendGrid's Inbound Parse in raw mode: matched to their invitation, and told apart as a person's
answer, an automatic reply (RFC 3834 and the usual markers) or a delivery status report."""

from __future__ import annotations

import re
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.registrations.models import Invitation
from service.text import PROSE_CONTROLS, one_line
from service.tracking.models import Reply, ReplyKind

MAX_TEXT = 20_000  # what the organiser reads of a reply; the rest stays with the sender
AUTOMATIC_SUBJECTS = re.compile(
    r"r[ée]ponse automatique|absent(e)? du bureau|absence|out of (the )?office|automatic reply"
    r"|auto[- ]?reply|autoresponse|en cong[ée]s?|vacation",
    re.IGNORECASE,
)
ROBOT_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply)@", re.IGNORECASE)


def parse(raw: bytes) -> EmailMessage:
    """The raw message as a mail client reads it."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def header(message: EmailMessage, name: str) -> str:
    """A header's text. Some malformed values ("From: a@[") make the email package's own
    parser fail (HeaderParseError, or a bug of its: AttributeError): those are read as written,
    encoded words decoded."""
    try:
        return str(message.get(name, ""))
    except (AttributeError, HeaderParseError, IndexError, TypeError, ValueError):
        pass
    raw = next((str(v) for key, v in message.raw_items() if key.lower() == name.lower()), "")
    raw = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")  # 8-bit headers
    try:
        return str(make_header(decode_header(raw)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return raw


def kind_of(message: EmailMessage) -> ReplyKind:
    """A delivery report, an automatic reply, or a person's answer."""
    addresses = [address for _, address in getaddresses([header(message, "From")])]
    if message.get_content_type() == "multipart/report" or any(
        ROBOT_SENDERS.match(address) for address in addresses
    ):
        return ReplyKind.BOUNCE
    auto_submitted = (header(message, "Auto-Submitted") or "no").strip().lower()
    precedence = header(message, "Precedence").strip().lower()
    if (
        auto_submitted != "no"
        or any(name in message for name in ("X-Autoreply", "X-Autorespond"))
        or precedence in ("bulk", "junk", "auto_reply", "list")
        or AUTOMATIC_SUBJECTS.search(header(message, "Subject"))
    ):
        return ReplyKind.AUTOMATIC
    return ReplyKind.HUMAN


def invitation_of(session: Session, settings: Settings, recipients: list[str]) -> Invitation | None:
    """The invitation whose reply address is among `recipients` (envelope or To/Cc)."""
    if not settings.reply_domain:
        return None
    pattern = re.compile(rf"^r\+([A-Za-z0-9_-]+)@{re.escape(settings.reply_domain)}$", re.I)
    for address in recipients:
        if match := pattern.match(address.strip()):
            found = session.scalar(select(Invitation).where(Invitation.public_id == match[1]))
            if found is not None:
                return found
    return None


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    if body is None:
        return ""
    try:
        return str(body.get_content())[:MAX_TEXT]
    except (LookupError, ValueError, HeaderParseError):  # an unknown or broken charset
        return ""


def receive(session: Session, settings: Settings, raw: bytes, envelope_to: list[str]) -> Reply:
    """Store a received email as a reply of its invitation (None when no address matches)."""
    message = parse(raw)
    headers = [header(message, name) for name in ("To", "Cc", "Delivered-To")]
    recipients = envelope_to + [address for _, address in getaddresses(headers)]
    invitation = invitation_of(session, settings, recipients)
    senders = getaddresses([header(message, "From")])
    reply = Reply(
        invitation_id=invitation.id if invitation else None,
        kind=kind_of(message),
        sender=one_line(senders[0][1] if senders else "")[:320],
        subject=one_line(header(message, "Subject"))[:500],
        text=PROSE_CONTROLS.sub("", _text(message)),
    )
    session.add(reply)
    session.flush()
    return reply
