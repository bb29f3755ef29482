"""Replies to the per-invitation reply addresses (r+<invitation>@REPLY_DOMAIN), received through
SendGrid's Inbound Parse in raw mode: matched to their invitation, and told apart as a person's
answer, an automatic reply (RFC 3834 and the usual markers) or a delivery status report."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.registrations.models import Invitation
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


def kind_of(message: EmailMessage) -> ReplyKind:
    """A delivery report, an automatic reply, or a person's answer."""
    sender = message.get("From", "")
    addresses = [address for _, address in getaddresses([str(sender)])]
    if message.get_content_type() == "multipart/report" or any(
        ROBOT_SENDERS.match(address) for address in addresses
    ):
        return ReplyKind.BOUNCE
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    if (
        auto_submitted != "no"
        or any(name in message for name in ("X-Autoreply", "X-Autorespond"))
        or precedence in ("bulk", "junk", "auto_reply", "list")
        or AUTOMATIC_SUBJECTS.search(str(message.get("Subject", "")))
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
    except (LookupError, ValueError):  # an unknown or broken charset
        return ""


def receive(session: Session, settings: Settings, raw: bytes, envelope_to: list[str]) -> Reply:
    """Store a received email as a reply of its invitation (None when no address matches)."""
    message = parse(raw)
    headers = [str(message.get(name, "")) for name in ("To", "Cc", "Delivered-To")]
    recipients = envelope_to + [address for _, address in getaddresses(headers)]
    invitation = invitation_of(session, settings, recipients)
    senders = getaddresses([str(message.get("From", ""))])
    reply = Reply(
        invitation_id=invitation.id if invitation else None,
        kind=kind_of(message),
        sender=(senders[0][1] if senders else "")[:320],
        subject=str(message.get("Subject", ""))[:500],
        text=_text(message),
    )
    session.add(reply)
    session.flush()
    return reply
