"""The organiser's logo on the invitee's pages: served as the image it is, cached for long under
the event's content version, and shown before the organiser's name only when there is one."""

from __future__ import annotations

import re
from html import unescape

from service.events.logos import remove_logo, set_logo
from tests.events.logo_images import JPEG, PNG

LOGO = re.compile(r'<img src="(/brand/\d+/logo\?v=\d+)" alt="([^"]*)" height="40" class="logo">')


def _set(db, event_id: int, data: bytes) -> None:
    with db.transaction() as session:
        set_logo(session, event_id, data, "cli")


def test_the_logo_is_served_as_its_own_type_and_cached(db, factory, client):
    event_id = factory.event()
    _set(db, event_id, JPEG)
    answer = client.get(f"/brand/{event_id}/logo?v=2")
    assert answer.status_code == 200
    assert answer.data == JPEG
    assert answer.headers["Content-Type"] == "image/jpeg"
    assert answer.headers["Cache-Control"] == "public, max-age=86400"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_no_logo_and_no_event_are_404(db, factory, client):
    event_id = factory.event()
    assert client.get(f"/brand/{event_id}/logo").status_code == 404
    _set(db, event_id, PNG)
    with db.transaction() as session:
        remove_logo(session, event_id, "cli")
    assert client.get(f"/brand/{event_id}/logo").status_code == 404
    assert client.get(f"/brand/{event_id + 1}/logo").status_code == 404


def test_the_page_shows_the_logo_before_the_name_only_once_set(db, factory, client):
    event_id = factory.event(organiser={"name": "Le Labo de l'ESS"})
    person = factory.invitees(event_id, 1)[0]
    assert LOGO.search(client.get(f"/r/{person.token}").text) is None
    _set(db, event_id, PNG)
    page = unescape(client.get(f"/r/{person.token}").text)
    match = LOGO.search(page)
    assert match is not None
    assert match.group(2) == ""  # the name beside it says whose it is
    assert f'{match.group(0)}<span lang="fr">Le Labo de l\'ESS</span>' in page
    assert client.get(match.group(1)).data == PNG
    _set(db, event_id, JPEG)  # a new logo: a new address, past every cache
    again = LOGO.search(client.get(f"/r/{person.token}").text)
    assert again is not None
    assert again.group(1) != match.group(1)
    assert client.get(again.group(1)).data == JPEG


def test_a_logo_without_a_name_is_named_by_the_organisers_address(db, factory, client):
    event_id = factory.event(organiser={"email": "contact@labo-ess.org"})
    person = factory.invitees(event_id, 1)[0]
    _set(db, event_id, PNG)
    match = LOGO.search(client.get(f"/r/{person.token}").text)
    assert match is not None
    assert match.group(2) == "contact@labo-ess.org"
    bare = factory.event()
    other = factory.invitees(bare, 1, prefix="autre")[0]
    _set(db, bare, PNG)
    match = LOGO.search(unescape(client.get(f"/r/{other.token}").text))
    assert match is not None
    assert match.group(2) == "Logo de l’organisateur"


def test_the_pages_policy_lets_the_logo_in(db, factory, client):
    person = factory.invitees(factory.event(), 1)[0]
    policy = client.get(f"/r/{person.token}").headers["Content-Security-Policy"]
    assert "img-src 'self'" in policy
