"""An organiser's colour: only colours readable with white are taken (WCAG 4.5:1), and the
event's pages and emails wear it."""

from __future__ import annotations

from html import unescape

import pytest

from service.events.colours import checked_colour, contrast_with_white, darker
from service.events.models import Event
from service.mail.context import email_context
from service.mail.render import render_email
from tests.manage.clients import csrf_token, sign_in
from tests.manage.test_event_form import FORM


@pytest.mark.parametrize(
    ("colour", "ratio"), [("#ffffff", 1.0), ("#000000", 21.0), ("#0b5cad", 6.67)]
)
def test_contrast_is_wcags(colour, ratio):
    assert contrast_with_white(colour) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize(("colour", "words"), [("#ffcc00", "too light"), ("blue", "expected")])
def test_an_unreadable_or_unknown_colour_is_refused(colour, words):
    with pytest.raises(ValueError, match=words):
        checked_colour(colour)


def test_a_darker_shade_stays_readable():
    assert checked_colour("#0B5CAD") == "#0b5cad"
    assert contrast_with_white(darker("#0b5cad")) > contrast_with_white("#0b5cad")


def test_the_event_form_refuses_a_light_colour(db, client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    path = "/manage/events/new"
    form = {**FORM, "organiser.colour": "#ffcc00", "op": "save"}
    page = client.post(path, data={**form, "csrf_token": csrf_token(client, path)})
    assert page.status_code == 422
    assert "Trop claire\u00a0: le texte blanc ne s’y lirait pas." in unescape(page.text)


def test_the_invitees_page_and_emails_wear_the_colour(db, factory, client, settings):
    event_id = factory.event(organiser={"name": "Le Labo", "colour": "#c0392b"})
    person = factory.invitees(event_id, 1)[0]
    page = client.get(f"/r/{person.token}").text
    href = page.split('<link rel="stylesheet" href="/brand/', 1)[1].split('"', 1)[0]
    css = client.get(f"/brand/{href}")
    assert css.mimetype == "text/css"
    assert css.text == ":root { --accent: #c0392b; --accent-dark: #9a2e22; }\n"
    with db.transaction(write=False) as session:
        event = session.get(Event, event_id)
        context = email_context(event, settings=settings, language="fr", links={})
        html = render_email("cancellation", "fr", context).html
    assert "border-top: 6px solid #c0392b" in html
    assert "#1b5e7a" not in html


def test_without_a_colour_the_page_links_no_stylesheet_of_its_own(db, factory, client):
    person = factory.invitees(factory.event(), 1)[0]
    assert "/brand/" not in client.get(f"/r/{person.token}").text
