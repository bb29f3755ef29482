"""Finding and creating contacts."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from contacts import cleaning
from contacts.models import Contact, MailingList, Membership
from service.errors import Invalid, NotFound
from service.text import CONTROLS


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
    session: Session, email: str, name: str | tuple[str, str] = "", language: str = "fr"
) -> Contact:
    """The contact of `email`, created when unknown; empty names are filled from `name`, a full
    name (split at its first space) or the pair (first name, family name)."""
    address = clean_email(email)
    contact = session.scalar(select(Contact).where(Contact.email == address))
    first, last = cleaning.split_name(name) if isinstance(name, str) else name
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


EDITABLE = (*cleaning.LIMITS, "language")


def edit_contact(session: Session, contact_id: int, values: Mapping[str, str]) -> dict[str, str]:
    """Change the contact's fields given (names, organisation, role, region, phone, language),
    each checked as an import checks it; the fields changed, with their new values."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    changed: dict[str, str] = {}
    for name, value in values.items():
        if name not in EDITABLE:
            raise Invalid(name, "not a field of a contact that can be changed")
        value = " ".join(value.split())
        if name == "language":
            if value not in ("fr", "en"):
                raise Invalid("language", "fr or en")
        elif len(value) > cleaning.LIMITS[name] or CONTROLS.search(value):
            raise Invalid(name, f"one line of at most {cleaning.LIMITS[name]} characters")
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed[name] = value
    session.flush()
    return changed


def remove_from_list(session: Session, contact_id: int, list_id: int) -> bool:
    """Take the contact off the list; False when it was not on it."""
    removed = session.execute(
        delete(Membership).where(Membership.contact_id == contact_id, Membership.list_id == list_id)
    )
    return bool(removed.rowcount)  # type: ignore[attr-defined]
