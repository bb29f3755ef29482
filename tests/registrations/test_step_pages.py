"""Steps asked on a page of their own: « Je ne pourrai pas venir » from the email opens a page
where declining is the one action; cancelling a seat says what it means before it is done. Each
GET changes nothing; the page's one button is the step's POST."""

from __future__ import annotations

from service.registrations import services
from service.registrations.models import RegistrationStatus as S
from tests.helpers import act, statuses
from tests.registrations.test_pages import Page


def _forms(html: str) -> list[str]:
    """Where each form of the page posts."""
    return [attributes["action"] for tag, attributes in Page(html).elements if tag == "form"]


def test_the_decline_link_opens_a_page_whose_one_action_is_declining(db, factory, client):
    event_id = factory.event(capacity=2)
    (invitee,) = factory.invitees(event_id, 1)
    page = client.get(f"/r/{invitee.token}/decline")
    assert page.status_code == 200
    assert _forms(page.text) == [f"/r/{invitee.token}/decline"]
    assert "Je ne pourrai pas venir" in Page(page.text).text
    assert statuses(db, event_id) == {}  # the GET (a mail scanner's) changed nothing
    token = Page(page.text).elements
    csrf = next(a["value"] for tag, a in token if tag == "input" and a.get("name") == "csrf_token")
    done = client.post(f"/r/{invitee.token}/decline", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert statuses(db, event_id) == {invitee.invitation_id: S.DECLINED}
    # Declined already: the link opens the person's own page, which says so.
    again = client.get(f"/r/{invitee.token}/decline")
    assert (again.status_code, again.headers["Location"]) == (303, f"/r/{invitee.token}")


def test_cancelling_a_seat_is_asked_on_a_page_that_says_what_it_means(db, factory, client):
    event_id = factory.event(capacity=1)
    seated, waiting = factory.invitees(event_id, 2)
    for invitee in (seated, waiting):
        act(db, invitee.invitation_id, services.register, {})
    own = client.get(f"/r/{seated.token}").text
    assert f"/r/{seated.token}/cancel" not in _forms(own)  # a link to the question, not the act
    assert f'href="/r/{seated.token}/cancel"' in own
    asked = client.get(f"/r/{seated.token}/cancel")
    said = Page(asked.text).text
    assert "Votre place ira aussitôt à la personne suivante" in said
    assert "vous passerez après les personnes qui attendent" in said
    assert _forms(asked.text) == [f"/r/{seated.token}/cancel"]
    assert statuses(db, event_id)[seated.invitation_id] is S.CONFIRMED
    english = Page(client.get(f"/r/{seated.token}/cancel?lang=en").text).text
    assert "Yes, cancel my registration" in english
    waiting_page = Page(client.get(f"/r/{waiting.token}/cancel").text).text
    assert "Oui, quitter la liste d’attente" in waiting_page


def _email_links(db, settings, invitee, event_id: int, template: str) -> dict[str, str]:
    """The personal values an email `template` to the invitee carries (its links)."""
    from service.db import utcnow
    from service.registrations.models import Invitation
    from service.sending.compose import Claimed, personal_values

    with db.transaction(write=False) as session:
        invitation = session.get(Invitation, invitee.invitation_id)
        row = Claimed(1, 0, utcnow(), template, "fr", event_id, None, {}, 1, invitee.email,
                      "", "", invitation.public_id, 1)  # fmt: skip
        return personal_values(settings, invitation.event, row)[0]


def test_the_decline_link_of_the_invitation_email_is_the_decline_page(db, factory, settings):
    event_id = factory.event()
    (invitee,) = factory.invitees(event_id, 1)
    values = _email_links(db, settings, invitee, event_id, "invitation")
    assert values["decline"] == f"{values['register']}/decline"
    assert statuses(db, event_id) == {}  # writing the link registered no one


def test_the_offered_seat_link_says_it_in_one_line_above_one_button(db, factory, client):
    event_id = factory.event(
        capacity=1, registration={"waitlist_policy": "offer", "claim_window_hours": 24}
    )
    first, second = factory.invitees(event_id, 2)
    for invitee in (first, second):
        act(db, invitee.invitation_id, services.register, {})
    act(db, first.invitation_id, services.cancel)
    page = client.get(f"/r/{second.token}/accept")
    said = Page(page.text)
    assert page.status_code == 200
    assert _forms(page.text) == [f"/r/{second.token}/accept"]  # one button, the POST
    assert "Une place s’est libérée pour vous : elle vous est réservée jusqu’au" in said.text
    assert said.text.count("J’accepte la place") == 1  # the button, not a second label
    assert statuses(db, event_id)[second.invitation_id] is S.OFFERED  # the GET took nothing
    english = Page(client.get(f"/r/{second.token}/accept?lang=en").text).text
    assert "it is held for you until" in english
    assert "Accept the place" in english
    # Taken already (or never offered): the link opens the person's own page.
    act(db, second.invitation_id, services.accept_offer)
    again = client.get(f"/r/{second.token}/accept")
    assert (again.status_code, again.headers["Location"]) == (303, f"/r/{second.token}")
    assert client.get(f"/r/{first.token}/accept").status_code == 303


def test_the_seat_offered_email_links_its_button_to_the_accept_page(db, factory, settings):
    event_id = factory.event()
    (invitee,) = factory.invitees(event_id, 1)
    values = _email_links(db, settings, invitee, event_id, "seat_offered")
    assert values["accept"] == f"{values['manage']}/accept"
