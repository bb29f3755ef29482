"""The organiser's steps on one person from the back office: each through a confirmation page
that changes nothing, then a POST that goes through the registration services (emails, the
waitlist served, the audit log); comms and door accounts change nothing (403)."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from contacts.models import SuppressionReason
from contacts.suppression import suppress
from service.audit.models import AuditEntry
from service.events.models import Event
from service.mail.models import Message
from service.registrations import services
from service.registrations.models import Registration, RegistrationStatus
from tests.helpers import act, statuses, waitlist
from tests.manage.clients import csrf_token, sign_in

S = RegistrationStatus


@pytest.fixture
def event(db, factory):
    """One seat, three people: the first confirmed, two waiting."""
    event_id = factory.event(title="Rencontre à une place", capacity=1)
    people = factory.invitees(event_id, 3)
    for person in people:
        act(db, person.invitation_id, services.register, {})
    return event_id, [person.invitation_id for person in people]


def registration_of(db, invitation_id: int) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(
            select(Registration.id).where(Registration.invitation_id == invitation_id)
        )


def emails(db, template: str) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(Message).where(Message.template == template)
        )


def audit(db) -> list[tuple[str, str, str]]:
    with db.transaction(write=False) as session:
        rows = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.subject))
        return [tuple(row) for row in rows if row.action.startswith(("registration", "invit"))]


def take(client, path: str):
    """Open the confirmation page, then confirm, as a person does."""
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


@pytest.fixture
def organiser(client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


def test_cancelling_frees_the_seat_for_the_first_waiting(db, event, organiser):
    event_id, (first, second, third) = event
    path = f"/manage/events/{event_id}/registrations/{registration_of(db, first)}/cancel"
    assert organiser.get(path).status_code == 200
    assert statuses(db, event_id)[first] is S.CONFIRMED  # the page changed nothing
    answer = take(organiser, path)
    assert answer.status_code == 302
    assert statuses(db, event_id) == {first: S.CANCELLED, second: S.OFFERED, third: S.WAITLISTED}
    assert emails(db, "cancellation") == 1
    assert emails(db, "seat_offered") == 1
    assert audit(db) == [("orga@example.org", "registration.cancelled", "invite00000@example.org")]
    assert "est annulée" in organiser.get(answer.headers["Location"]).text


def test_moving_up_puts_the_person_first_in_line(db, event, organiser):
    event_id, (_, second, third) = event
    take(organiser, f"/manage/events/{event_id}/registrations/{registration_of(db, third)}/move-up")
    assert waitlist(db, event_id) == [third, second]
    page = organiser.get(f"/manage/events/{event_id}").text
    shown = page.split('id="waitlist"', 1)[1].split("</table>", 1)[0]
    assert shown.index("Personne 2") < shown.index("Personne 1")


def test_a_seat_is_given_only_when_one_is_free(db, event, organiser, settings):
    event_id, (_, second, third) = event
    path = f"/manage/events/{event_id}/registrations/{registration_of(db, third)}/give-seat"
    refused = take(organiser, path)
    assert refused.status_code == 409
    assert "Aucune place n’est libre" in unescape(refused.text)
    assert statuses(db, event_id)[third] is S.WAITLISTED
    with db.transaction() as session:  # a seat added behind the services' back: none served
        session.get(Event, event_id).capacity = 2
    answer = take(organiser, path)
    assert answer.status_code == 302
    assert statuses(db, event_id)[third] is S.OFFERED  # ahead of the second, by choice
    assert statuses(db, event_id)[second] is S.WAITLISTED


def test_the_confirmation_is_sent_again(db, event, organiser):
    event_id, (first, second, _) = event
    before = emails(db, "confirmation")
    take(organiser, f"/manage/events/{event_id}/registrations/{registration_of(db, first)}/resend")
    assert emails(db, "confirmation") == before + 1
    refused = take(
        organiser, f"/manage/events/{event_id}/registrations/{registration_of(db, second)}/resend"
    )
    assert refused.status_code == 409
    assert "ne s’applique plus" in unescape(refused.text)


def test_a_registration_of_another_event_is_not_found(db, event, factory, organiser):
    event_id, (first, _, _) = event
    other = factory.event(title="Autre")
    path = f"/manage/events/{other}/registrations/{registration_of(db, first)}/cancel"
    assert organiser.get(path).status_code == 404
    assert organiser.get(f"/manage/events/{event_id}/registrations/1/fly").status_code == 404


def test_someone_is_registered_by_hand_and_gets_the_waitlist(db, event, organiser):
    event_id, _ = event
    path = f"/manage/events/{event_id}/people/new"
    form = {"email": "Grand.Temoin@example.org", "name": "Grand Témoin", "what": "register"}
    answer = organiser.post(path, data={**form, "csrf_token": csrf_token(organiser, path)})
    assert answer.status_code == 302
    with db.transaction(write=False) as session:
        added = session.scalars(select(Registration).order_by(Registration.id.desc())).first()
        assert (added.status, added.invitation.contact.email) == (
            S.WAITLISTED, "grand.temoin@example.org",
        )  # fmt: skip
    assert emails(db, "waitlisted") == 3


@pytest.mark.parametrize(("what", "sent"), [("invite", 0), ("invite_send", 1)])
def test_an_invitation_shows_the_link_and_is_emailed_when_asked(db, event, organiser, what, sent):
    event_id, _ = event
    path = f"/manage/events/{event_id}/people/new"
    form = {"email": "lea@example.org", "name": "Léa", "what": what, "csrf_token": ""}
    form["csrf_token"] = csrf_token(organiser, path)
    page = organiser.post(path, data=form)
    assert page.status_code == 200
    assert 'value="http://127.0.0.1:5000/r/' in page.text
    assert emails(db, "invitation") == sent


@pytest.mark.parametrize(
    ("email", "what", "message"),
    [
        ("pas-une-adresse", "register", "Cette adresse email n’est pas valide."),
        ("parti@example.org", "invite_send", "s’est désinscrite"),
        ("lea@example.org", "everything", "Choisissez ce qu’il faut faire."),
    ],
)
def test_adding_someone_wrong_says_why_and_adds_nobody(
    db, event, organiser, settings, email, what, message
):
    event_id, _ = event
    with db.transaction() as session:
        suppress(session, settings, "parti@example.org", SuppressionReason.UNSUBSCRIBED)
    path = f"/manage/events/{event_id}/people/new"
    answer = organiser.post(
        path, data={"email": email, "what": what, "csrf_token": csrf_token(organiser, path)}
    )
    assert answer.status_code == 422
    assert message in unescape(answer.text)
    assert len(statuses(db, event_id)) == 3
    assert audit(db) == []


@pytest.mark.parametrize("role", ["comms", "door"])
def test_accounts_that_may_not_change_change_nothing(db, event, client, factory, role):
    event_id, (first, second, _) = event
    events = (event_id,) if role == "door" else ()
    sign_in(client, f"{role}@example.org", factory.user(f"{role}@example.org", role, events))
    token = csrf_token(client, "/manage/")
    before = statuses(db, event_id)
    for invitation_id, action in ((first, "cancel"), (first, "resend"), (second, "move-up"),
                                  (second, "give-seat")):  # fmt: skip
        path = f"/manage/events/{event_id}/registrations/{registration_of(db, invitation_id)}"
        assert client.get(f"{path}/{action}").status_code == 403
        assert client.post(f"{path}/{action}", data={"csrf_token": token}).status_code == 403
    add = client.post(
        f"/manage/events/{event_id}/people/new",
        data={"csrf_token": token, "email": "x@example.org", "what": "register"},
    )
    assert add.status_code == 403
    assert statuses(db, event_id) == before
    assert audit(db) == []
    page = client.get(f"/manage/events/{event_id}").text
    assert "Ajouter une personne" not in page
    assert "/cancel" not in page
