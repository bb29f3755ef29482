"""A chunk's bulk writes: what another writer created in the meantime is kept and counted."""

from __future__ import annotations

from sqlalchemy import select

from contacts.cleaning import CleanContact
from contacts.models import Contact, MailingList, Membership
from contacts.services import get_or_create_contact
from contacts.writing import add_members, insert_contacts
from service.db import utcnow


def test_an_address_created_meanwhile_keeps_its_contact_and_joins_the_list(db):
    with db.transaction() as session:
        session.add(MailingList(name="CRESS"))
    with db.transaction() as session:
        # Another writer creates Claire after the chunk looked her up as unknown.
        claire = get_or_create_contact(session, "claire@example.org", "Claire Martin")
        session.flush()
        claire_id = claire.id
    chunk = [CleanContact("claire@example.org", "Autre"), CleanContact("paul@example.org", "Paul")]
    with db.transaction() as session:
        mailing_list = session.scalar(select(MailingList).where(MailingList.name == "CRESS"))
        ids = insert_contacts(session, chunk, utcnow())
        joined = add_members(session, mailing_list.id, ids, "cress.csv", utcnow())
        again = add_members(session, mailing_list.id, ids, "cress.csv", utcnow())
    assert claire_id in ids
    assert len(set(ids)) == 2
    assert (joined, again) == (2, 0)
    with db.transaction(write=False) as session:
        names = session.execute(select(Contact.email, Contact.first_name).order_by(Contact.email))
        assert list(names) == [("claire@example.org", "Claire"), ("paul@example.org", "Paul")]
        assert len(session.scalars(select(Membership)).all()) == 2
