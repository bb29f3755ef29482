"""The rights of the people in the contact book (GDPR articles 15 and 17), behind the commands
`convier contacts export-person EMAIL`, which prints everything held about a person
(person_record), and `convier contacts erase EMAIL`, which removes the personal data and keeps
the suppression hash and anonymous counts (erase_person).

Erasure anonymises the contact instead of deleting it. Invitations and registrations reference
the contact with ON DELETE CASCADE, so deleting the row would delete them too, and every past
event would silently lose one invitee, one registration or one attendee from its statistics;
it would also leave the event's counters (`seats_held`, `waitlist_count`) wrong. Instead:

1. the address goes on the suppression list (reason `erased`, or the reason it already had), so
   that no later import of a network list brings the person back;
2. a seat or waitlist place still held for an event that has not started is cancelled through
   the registration service, which keeps the counters exact and passes the seat on to the
   first person waiting as the event's waitlist policy says; registrations of events already
   started keep their status, so that past counts do not change; every registration of the
   person loses its answers (free text can name or describe the person, a diet can be health
   data) and is marked `end_reason` erased when it was cancelled here; so do the person's
   emails in the outbox, which carry the answers to say them back (the confirmations);
3. every personal link of the person is revoked;
4. memberships are deleted, and the contact row is kept with its id and dates but its address
   replaced by `erased-<id>@erased.invalid` (unique, and undeliverable by RFC 2606) and every
   other personal field blanked.

What remains is rows that say "someone was invited, registered, came", and a keyed hash that
tells whether an address given later is the erased one; it cannot be turned back into the
address, only checked against a guess by whoever holds the secret key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from contacts.models import (
    Contact,
    MailingList,
    Membership,
    SuppressionReason,
    normalise_email,
)
from contacts.suppression import suppress, suppression_of
from service.config import Settings
from service.db import isoformat, utcnow
from service.mail.models import Message
from service.registrations import services
from service.registrations.invitations import revoke_link
from service.registrations.models import EndReason, Invitation, Registration, RegistrationStatus

ERASED_DOMAIN = "erased.invalid"
CANCELLABLE = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.OFFERED,
    RegistrationStatus.WAITLISTED,
)


def erased_address(contact_id: int) -> str:
    """The placeholder address of an erased contact."""
    return f"erased-{contact_id}@{ERASED_DOMAIN}"


def _contact(session: Session, email: str) -> Contact | None:
    return session.scalar(select(Contact).where(Contact.email == normalise_email(email)))


def person_record(session: Session, settings: Settings, email: str) -> dict[str, Any] | None:
    """Everything held about the person of `email`, JSON-serialisable (dates in ISO 8601):
    the contact's fields, list memberships, invitations, registrations with their answers, and
    whether the address is suppressed and why. None when nothing at all is held; an address
    known only by its suppression hash gives a record with `contact` None."""
    address = normalise_email(email)
    contact = _contact(session, address)
    suppression = suppression_of(session, settings, address)
    if contact is None and suppression is None:
        return None
    record: dict[str, Any] = {
        "email": address,
        "contact": None,
        "memberships": [],
        "invitations": [],
        "registrations": [],
        "suppression": {
            "suppressed": suppression is not None,
            "reason": suppression.reason.value if suppression else None,
            "since": isoformat(suppression.created_at) if suppression else None,
        },
    }
    if contact is None:
        return record
    record["contact"] = {
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "organisation": contact.organisation,
        "role": contact.role,
        "region": contact.region,
        "phone": contact.phone,
        "language": contact.language,
        "tags": list(contact.tags),
        "extra": dict(contact.extra),
        "created_at": isoformat(contact.created_at),
        "updated_at": isoformat(contact.updated_at),
    }
    record["memberships"] = [
        {"list": name, "source": source, "added_at": isoformat(added_at)}
        for name, source, added_at in session.execute(
            select(MailingList.name, Membership.source, Membership.added_at)
            .join(MailingList, MailingList.id == Membership.list_id)
            .where(Membership.contact_id == contact.id)
            .order_by(Membership.added_at, MailingList.name)
        )
    ]
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.contact_id == contact.id)
        .options(joinedload(Invitation.event), joinedload(Invitation.registration))
        .order_by(Invitation.created_at, Invitation.id)
    ).all()
    for invitation in invitations:
        event = invitation.event
        record["invitations"].append(
            {
                "event": event.title,
                "event_starts_at": isoformat(event.starts_at),
                "created_at": isoformat(invitation.created_at),
                "sent_at": isoformat(invitation.sent_at),
                "responded_at": isoformat(invitation.responded_at),
            }
        )
        registration = invitation.registration
        if registration is not None:
            record["registrations"].append(_registration(event.title, registration))
    return record


def _registration(title: str, registration: Registration) -> dict[str, Any]:
    return {
        "event": title,
        "status": registration.status.value,
        "waitlist_position": registration.waitlist_position,
        "answers": dict(registration.answers or {}),
        "created_at": isoformat(registration.created_at),
        "confirmed_at": isoformat(registration.confirmed_at),
        "waitlisted_at": isoformat(registration.waitlisted_at),
        "offered_at": isoformat(registration.offered_at),
        "offer_expires_at": isoformat(registration.offer_expires_at),
        "declined_at": isoformat(registration.declined_at),
        "cancelled_at": isoformat(registration.cancelled_at),
        "attended_at": isoformat(registration.attended_at),
    }


def erase_person(
    session: Session, settings: Settings, email: str, now: datetime | None = None
) -> bool:
    """Erase the person of `email` as the module says; False when no contact has this address
    (the address is suppressed all the same, so that no import brings it in). The caller owns
    the transaction: everything is undone together if anything fails."""
    now = now or utcnow()
    address = normalise_email(email)
    suppress(session, settings, address, SuppressionReason.ERASED)
    contact = _contact(session, address)
    if contact is None:
        return False
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.contact_id == contact.id)
        .options(joinedload(Invitation.event), joinedload(Invitation.registration))
        .order_by(Invitation.event_id)  # events locked in one order
    ).all()
    for invitation in invitations:
        registration = invitation.registration
        if registration is not None:
            if registration.status in CANCELLABLE and now < invitation.event.starts_at:
                registration = services.cancel(session, invitation, now)
                registration.end_reason = EndReason.ERASED
            registration.answers = {}
        revoke_link(session, invitation)
    _forget_answers_in_outbox(session, contact.id)
    session.execute(delete(Membership).where(Membership.contact_id == contact.id))
    session.expire(contact, ["memberships"])
    contact.email = erased_address(contact.id)
    contact.first_name = contact.last_name = ""
    contact.organisation = contact.role = contact.region = contact.phone = ""
    contact.language = "fr"
    contact.tags = []
    contact.extra = {}
    session.flush()
    return True


def _forget_answers_in_outbox(session: Session, contact_id: int) -> None:
    emails = session.scalars(select(Message).where(Message.contact_id == contact_id))
    for email in emails:
        if "answers" in email.extra:
            email.extra = {key: value for key, value in email.extra.items() if key != "answers"}
