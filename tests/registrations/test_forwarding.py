"""A personal link forwarded to a colleague: with a bound link the invitee hands their invitation
over, with an open link the colleague asks for one of their own. Either way the colleague gets
their own link by email and nothing else: no one else's page, no seat, no text of the sender,
and the same answer whatever is known about the address."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from contacts.models import Contact, SuppressionReason
from contacts.suppression import suppress
from service.mail.models import Message
from service.registrations.models import Invitation, Registration
from service.registrations.models import RegistrationStatus as S

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OPEN = {"forwarding": "open"}


def post(client, token: str, action: str, **form: str):
    """Open the page, then POST one of its forms with the page's CSRF token."""
    # A seat holder's own page has no form: cancelling is asked on a page of its own.
    found = CSRF.search(client.get(f"/r/{token}").get_data(as_text=True)) or CSRF.search(
        client.get(f"/r/{token}/cancel").get_data(as_text=True)
    )
    assert found is not None
    csrf = found.group(1)
    return client.post(f"/r/{token}/{action}", data={"csrf_token": csrf, **form})


def invitation_of(db, address: str) -> Invitation | None:
    with db.transaction(write=False) as session:
        return session.scalar(select(Invitation).join(Contact).where(Contact.email == address))


def invitations_queued(db) -> list[int]:
    """The invitations an invitation email was queued for, in order."""
    with db.transaction(write=False) as session:
        return list(
            session.scalars(
                select(Message.invitation_id)
                .where(Message.template == "invitation")
                .order_by(Message.id)
            )
        )


def registrations(db) -> list[int]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(Registration.invitation_id)))


def test_a_bound_link_hands_the_invitation_to_a_colleague(db, factory, client):
    event_id = factory.event()
    person = factory.invitees(event_id, 1)[0]
    answer = post(client, person.token, "transfer", colleague_email="Collegue@Example.org",
                  colleague_name="Gagnez un iPhone sur http://spam.example")  # fmt: skip
    assert answer.status_code == 200
    assert "votre collègue va y recevoir sa propre invitation" in answer.get_data(as_text=True)
    theirs = invitation_of(db, "collegue@example.org")
    assert theirs is not None
    assert theirs.forwarded_from_id == person.invitation_id
    assert invitations_queued(db) == [theirs.id]
    with db.transaction(write=False) as session:
        status = session.scalar(
            select(Registration.status).where(Registration.invitation_id == person.invitation_id)
        )
        colleague = session.get(Contact, theirs.contact_id)
        # Nothing the sender typed reaches the colleague's email: not even a name.
        assert (colleague.first_name, colleague.last_name) == ("", "")
    assert status is S.DECLINED


def test_an_open_link_sends_the_colleague_their_own_link_and_registers_no_one(db, factory, client):
    event_id = factory.event(capacity=5, registration=OPEN)
    person = factory.invitees(event_id, 1)[0]
    page = client.get(f"/r/{person.token}").get_data(as_text=True)
    assert "vous recevrez par courriel votre propre lien" in page
    answer = post(client, person.token, "colleague", colleague_email="lea@example.org")
    assert answer.status_code == 200
    assert "Consultez votre boîte de réception" in answer.get_data(as_text=True)
    theirs = invitation_of(db, "lea@example.org")
    assert theirs is not None
    assert theirs.forwarded_from_id == person.invitation_id
    assert invitations_queued(db) == [theirs.id]
    assert registrations(db) == []  # they register from their own link, when they open it


def test_an_open_link_never_registers_or_shows_someone_already_invited(db, factory, client):
    event_id = factory.event(capacity=5, registration=OPEN)
    holder, other = factory.invitees(event_id, 2)
    answer = post(client, holder.token, "colleague", colleague_email=other.email)
    new_address = post(client, holder.token, "colleague", colleague_email="nouveau@example.org")
    # The same page, whether the address was invited before or not: nothing is revealed.
    assert (answer.status_code, new_address.status_code) == (200, 200)
    body = answer.get_data(as_text=True)
    assert "Consultez votre boîte de réception" in body
    assert other.token not in body
    assert "Location" not in answer.headers
    assert _without_csrf(body) == _without_csrf(new_address.get_data(as_text=True))
    assert registrations(db) == []
    # The person already invited gets their own link again, by email; their invitation keeps
    # its attribution.
    assert invitations_queued(db)[0] == other.invitation_id
    assert invitation_of(db, other.email).forwarded_from_id is None


def _without_csrf(page: str) -> str:
    return CSRF.sub("", page)


def test_an_unsubscribed_address_gets_the_same_answer_and_no_email(db, factory, client, settings):
    event_id = factory.event(registration=OPEN)
    person = factory.invitees(event_id, 1)[0]
    with db.transaction() as session:
        suppress(session, settings, "parti@example.org", SuppressionReason.UNSUBSCRIBED)
    answer = post(client, person.token, "colleague", colleague_email="parti@example.org")
    assert answer.status_code == 200
    assert "Consultez votre boîte de réception" in answer.get_data(as_text=True)
    assert invitations_queued(db) == []
    assert invitation_of(db, "parti@example.org") is None


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("pas-une-adresse", "Cette adresse électronique n’est pas valable."),
        ("INVITE00000@example.org", "C’est l’adresse de la personne invitée"),
    ],
)
def test_a_refused_colleague_address_is_named_and_changes_nothing(
    db, factory, client, address, said
):
    event_id = factory.event()
    person = factory.invitees(event_id, 1)[0]
    answer = post(client, person.token, "transfer", colleague_email=address)
    assert answer.status_code == 422
    assert said in answer.get_data(as_text=True)
    with db.transaction(write=False) as session:
        assert session.scalars(select(Invitation.id)).all() == [person.invitation_id]
        assert session.scalar(select(Invitation.forwards)) == 0
    assert registrations(db) == []


def test_one_link_invites_at_most_the_events_number_of_colleagues(db, factory, client):
    event_id = factory.event(registration={**OPEN, "forward_limit": 2})
    person = factory.invitees(event_id, 1)[0]
    codes = [
        post(client, person.token, "colleague", colleague_email=f"c{i}@example.org").status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 429, 429]
    refused = post(client, person.token, "colleague", colleague_email="c9@example.org")
    assert "déjà été transmise 2 fois" in refused.get_data(as_text=True)
    assert len(invitations_queued(db)) == 2
    assert invitation_of(db, "c3@example.org") is None


def test_an_event_without_forwarding_shows_no_form_and_refuses_it(db, factory, client):
    event_id = factory.event(registration={**OPEN, "forward_limit": 0})
    person = factory.invitees(event_id, 1)[0]
    assert 'name="colleague_email"' not in client.get(f"/r/{person.token}").get_data(as_text=True)
    answer = post(client, person.token, "colleague", colleague_email="a@example.org")
    assert answer.status_code == 429
    assert invitations_queued(db) == []


def test_a_bound_link_cannot_serve_an_open_form_and_a_seat_holder_cannot_hand_over(
    db, factory, client
):
    event_id = factory.event()
    person = factory.invitees(event_id, 1)[0]
    assert (
        post(client, person.token, "colleague", colleague_email="a@example.org").status_code == 409
    )
    assert post(client, person.token, "register").status_code == 303
    page = client.get(f"/r/{person.token}").get_data(as_text=True)
    assert "Transmettre mon invitation" not in page
    assert (
        post(client, person.token, "transfer", colleague_email="a@example.org").status_code == 409
    )
    assert invitation_of(db, "a@example.org") is None
