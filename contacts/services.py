"""Finding and creating contacts."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from contacts import cleaning
from contacts.models import Contact, MailingList, Membership
from service.errors import Invalid


class InvalidEmail(Invalid):
    """The address is not a valid email address."""

    def __init__(self, address: str, reason: str):
        super().__init__("email", f"{address!r} is not a valid email address: {reason}")


def clean_email(address: str) -> str:
    """The stored form of an address, exactly as an import stores it, or InvalidEmail."""
    try:
        return cleaning.clean_email(address)
    except cleaning.RowRefused as exc:
        raise InvalidEmail(address, exc.reason) from exc


def get_or_create_contact(
    session: Session, email: str, name: str = "", language: str = "fr"
) -> Contact:
    """The contact of `email`, created when unknown; empty names are filled from `name`."""
    address = clean_email(email)
    contact = session.scalar(select(Contact).where(Contact.email == address))
    first, last = cleaning.split_name(name)
    if contact is None:
        contact = Contact(email=address, first_name=first, last_name=last, language=language)
        session.add(contact)
        session.flush()
    elif name and not (contact.first_name or contact.last_name):
        contact.first_name, contact.last_name = first, last
    return contact


def list_sizes(session: Session) -> list[tuple[str, int]]:
    """Each mailing list's name and number of members, by name."""
    rows = session.execute(
        select(MailingList.name, func.count(Membership.id))
        .outerjoin(Membership, Membership.list_id == MailingList.id)
        .group_by(MailingList.name)
        .order_by(MailingList.name)
    )
    return [(name, members) for name, members in rows]


def rename(session: Session, contact_id: int, names: Mapping[str, str]) -> None:
    """Set the contact's names given (first_name, last_name, organisation) in one statement."""
    session.execute(
        update(Contact)
        .where(Contact.id == contact_id)
        .values(**names)
        .execution_options(synchronize_session=False)
    )
