"""The emails of a registration's life, queued in the transaction that changes it and sent once
that transaction commits: each change of state gets its own, once (its key names the moment)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contacts.models import Contact
from service.db import isoformat
from service.mail.dispatch import send_after_commit
from service.mail.kinds import kind_of
from service.mail.outbox import NewMessage, queue
from service.registrations.models import Invitation, Registration
from service.registrations.personal_link import Invitee


def notify(
    session: Session,
    registrations: Sequence[Registration],
    template: str,
    moment: datetime,
) -> list[int]:
    """Queue `template` for each registration; return the ids of the new outbox rows."""
    if not registrations:
        return []
    people = {
        invitation_id: (contact_id, language)
        for invitation_id, contact_id, language in session.execute(
            select(Invitation.id, Invitation.contact_id, Contact.language)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.id.in_([r.invitation_id for r in registrations]))
        )
    }
    messages = [
        _message(registration, *people[registration.invitation_id], template, moment)
        for registration in registrations
    ]
    ids = queue(session, messages)
    send_after_commit(session, ids)
    return ids


def notify_invitee(
    session: Session,
    registration: Registration,
    invitee: Invitee,
    template: str,
    moment: datetime,
) -> list[int]:
    """`notify` for the person acting on their own link, whose contact is known already."""
    message = _message(registration, invitee.contact_id, invitee.language, template, moment)
    ids = queue(session, [message])
    send_after_commit(session, ids)
    return ids


def _message(
    registration: Registration, contact_id: int, language: str, template: str, moment: datetime
) -> NewMessage:
    return NewMessage(
        key=f"registration:{registration.id}:{template}:{isoformat(moment)}",
        template=template,
        event_id=registration.event_id,
        contact_id=contact_id,
        language=language,
        invitation_id=registration.invitation_id,
        registration_id=registration.id,
        extra=_values(registration, template),
    )


def _values(registration: Registration, template: str) -> dict[str, Any]:
    # What the email says about this registration, as it was when the email was decided.
    values: dict[str, Any] = {}
    if "answers" in kind_of(template).personal:
        values["answers"] = dict(registration.answers)
    if registration.waitlist_position is not None:
        values["waitlist_position"] = registration.waitlist_position
    if registration.offer_expires_at is not None:
        values["offer_expires_at"] = isoformat(registration.offer_expires_at)
    return values
