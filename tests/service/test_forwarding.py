"""A personal link forwarded to a colleague: with a bound link the invitee hands their invitation
over; with an open link the colleague registers as themselves; both attributed."""

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


def post(client, token: str, action: str, **form: str):  # type: ignore[no-untyped-def]
    """Open the page, then POST one of its forms with the page's CSRF token."""
    page = client.get(f"/r/{token}")
    csrf = CSRF.search(page.get_data(as_text=True)).group(1)
    return client.post(f"/r/{token}/{action}", data={"csrf_token": csrf, **form})


def invitation_of(db, address: str) -> Invitation | None:  # type: ignore[no-untyped-def]
    with db.transaction(write=False) as session:
        return session.scalar(select(Invitation).join(Contact).where(Contact.email == address))


def test_a_bound_link_hands_the_invitation_to_a_colleague(db, factory, client):
    event_id = factory.event()
    person = factory.invitees(event_id, 1)[0]
    answer = post(client, person.token, "transfer", colleague_email="Collegue@Example.org",
                  colleague_name="Léa Collègue")  # fmt: skip
    assert answer.status_code == 200
    assert "votre collègue va recevoir sa propre invitation" in answer.get_data(as_text=True)
    theirs = invitation_of(db, "collegue@example.org")
    assert theirs is not None
    assert theirs.forwarded_from_id == person.invitation_id
    with db.transaction(write=False) as session:
        status = session.scalar(
            select(Registration.status).where(Registration.invitation_id == person.invitation_id)
        )
        queued = session.scalars(
            select(Message.invitation_id).where(Message.template == "invitation")
        )
        assert list(queued) == [theirs.id]
    assert status is S.DECLINED


def test_an_open_link_lets_a_colleague_register_in_their_own_name(db, factory, client):
    event_id = factory.event(capacity=5, registration={"forwarding": "open"})
    person = factory.invitees(event_id, 1)[0]
    page = client.get(f"/r/{person.token}").get_data(as_text=True)
    assert "inscrivez-vous à votre nom" in page
    answer = post(client, person.token, "colleague", colleague_email="lea@example.org",
                  colleague_name="Léa Martin")  # fmt: skip
    assert answer.status_code == 303
    theirs = invitation_of(db, "lea@example.org")
    assert theirs is not None
    assert theirs.forwarded_from_id == person.invitation_id
    assert f"/r/{person.token}" not in answer.headers["Location"]
    landing = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Léa Martin, votre inscription est confirmée" in landing
    with db.transaction(write=False) as session:
        registered = session.scalars(select(Registration.invitation_id)).all()
    assert registered == [theirs.id]  # the invitee's own invitation is left as it was


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("pas-une-adresse", "Cette adresse électronique n'est pas valable."),
        ("INVITE00000@example.org", "C'est l'adresse de la personne invitée"),
        ("parti@example.org", "Cette adresse ne reçoit plus nos courriels"),
    ],
)
def test_a_refused_colleague_address_is_named_and_changes_nothing(
    db, factory, client, settings, address, said
):
    event_id = factory.event()
    person = factory.invitees(event_id, 1)[0]
    with db.transaction() as session:
        suppress(session, settings, "parti@example.org", SuppressionReason.UNSUBSCRIBED)
    answer = post(client, person.token, "transfer", colleague_email=address)
    assert answer.status_code == 422
    assert said in answer.get_data(as_text=True)
    with db.transaction(write=False) as session:
        assert session.scalars(select(Invitation.id)).all() == [person.invitation_id]
        assert session.scalars(select(Registration.id)).all() == []


def test_a_bound_link_cannot_register_a_colleague_and_a_seat_holder_cannot_hand_over(
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


def test_an_open_link_with_required_questions_gives_the_colleague_their_page(db, factory, client):
    lunch = {"key": "lunch", "label": "Déjeuner", "kind": "choice", "choices": ["oui", "non"],
             "required": True}  # fmt: skip
    event_id = factory.event(registration={"forwarding": "open"}, questions=[lunch])
    person = factory.invitees(event_id, 1)[0]
    answer = post(client, person.token, "colleague", colleague_email="lea@example.org")
    assert answer.status_code == 303
    landing = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'name="q_lunch"' in landing  # they answer the question there, then register
    assert invitation_of(db, "lea@example.org") is not None
    with db.transaction(write=False) as session:
        assert session.scalars(select(Registration.id)).all() == []
