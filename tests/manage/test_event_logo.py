"""The organiser's logo in the back office's event form: a file sent with the rest of the form,
shown once saved, removed by a box; a refused file is said beside its field and nothing else typed
is lost; a logo chosen survives the form being shown again (its own buttons, the question of whom
to email) since a browser never fills a file field again."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from service.events.logos import set_logo
from service.events.models import Event
from service.registrations import services
from tests.events.logo_images import JPEG, PNG, SVG
from tests.helpers import act
from tests.manage.clients import csrf_token, sign_in
from tests.manage.test_event_form import FORM, _current_form, changed_emails, events

MESSAGE = "Le logo doit être une image PNG, JPEG ou WebP de 200 Ko au plus."
PENDING = re.compile(r'name="logo.pending" value="([^"]+)"')


@pytest.fixture
def organiser(client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


def send(client, path: str, form: dict[str, str], logo: bytes | None = None, op: str = "save"):
    """The form as a browser sends it (multipart), with `logo` as the file chosen."""
    data: dict[str, object] = {**form, "op": op, "csrf_token": csrf_token(client, path)}
    if logo is not None:
        data["logo"] = FileStorage(io.BytesIO(logo), "logo.png", content_type="image/png")
    return post_multipart(client, path, data)


def post_multipart(client, path: str, data: dict[str, object]):
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    body, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    return client.post(
        path,
        data=body.read(length),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def logo_of(db, event_id: int) -> tuple[bytes | None, str]:
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Event.organiser_logo, Event.organiser_logo_type).where(Event.id == event_id)
        ).one()
        return row.organiser_logo, row.organiser_logo_type


def test_the_form_is_sent_as_multipart(db, organiser):
    page = organiser.get("/manage/events/new").text
    assert '<form method="post" class="event-form" enctype="multipart/form-data"' in page
    assert 'name="logo" type="file" accept="image/png,image/jpeg,image/webp"' in page
    assert "Retirer le logo" not in unescape(page)  # nothing to remove yet


def test_a_new_event_is_saved_with_its_logo(db, organiser):
    answer = send(organiser, "/manage/events/new", FORM, PNG)
    assert answer.status_code == 302, answer.text
    (event,) = events(db)
    assert logo_of(db, event.id) == (PNG, "image/png")


def test_the_edit_form_shows_the_logo_and_removes_it(db, factory, organiser):
    event_id = factory.event()
    with db.transaction() as session:
        version = set_logo(session, event_id, JPEG, "cli").content_version
    path = f"/manage/events/{event_id}/edit"
    page = unescape(organiser.get(path).text)
    assert f'<img src="/brand/{event_id}/logo?v={version}" alt="" height="40">' in page
    assert "Retirer le logo" in page
    form = _current_form(organiser, path)
    assert send(organiser, path, form).status_code == 302
    assert logo_of(db, event_id) == (JPEG, "image/jpeg")  # saved again untouched
    assert send(organiser, path, {**form, "logo.remove": "on"}).status_code == 302
    assert logo_of(db, event_id) == (None, "")


def test_a_new_logo_replaces_the_old_one(db, factory, organiser):
    event_id = factory.event()
    with db.transaction() as session:
        set_logo(session, event_id, JPEG, "cli")
    path = f"/manage/events/{event_id}/edit"
    assert send(organiser, path, _current_form(organiser, path), PNG).status_code == 302
    assert logo_of(db, event_id) == (PNG, "image/png")


@pytest.mark.parametrize(
    "logo",
    [SVG, b"GIF89a" + b"\x00" * 20, PNG + b"\x00" * 200 * 1024, PNG + b"\x00" * 3 * 1024 * 1024],
    ids=["svg", "gif", "just-too-big", "a-photo-over-the-apps-2-mb"],
)
def test_a_refused_file_is_said_beside_it_and_the_rest_is_kept(db, organiser, logo):
    fields = {**FORM, "organiser.name": "Le Labo de l'ESS"}
    page = send(organiser, "/manage/events/new", fields, logo)
    assert page.status_code == 422
    text = unescape(page.text)
    assert f'<p class="error" id="logo-error">{MESSAGE}</p>' in text
    assert f'<a href="#logo">Logo de l’organisateur : {MESSAGE}</a>' in text
    assert 'aria-describedby="logo-error" aria-invalid="true"' in text
    assert 'value="Rencontre d\'été"' in text
    assert 'value="Le Labo de l\'ESS"' in text
    assert events(db) == []


def test_the_csrf_check_still_guards_the_multipart_form(db, organiser):
    data = {**FORM, "op": "save", "logo": FileStorage(io.BytesIO(PNG), "logo.png")}
    answer = post_multipart(organiser, "/manage/events/new", data)
    assert answer.status_code == 400
    assert events(db) == []


def test_a_chosen_logo_survives_the_forms_own_buttons(db, organiser):
    page = send(organiser, "/manage/events/new", FORM, PNG, op="add-session")
    assert page.status_code == 200
    assert 'name="programme.0.starts"' in page.text
    pending = PENDING.search(page.text)
    assert pending is not None
    assert '<img src="data:image/png;base64,' in page.text  # shown before it is saved
    form = {**FORM, "programme.0.starts": "14:30", "programme.0.title": "Ouverture"}
    assert (
        send(
            organiser, "/manage/events/new", {**form, "logo.pending": pending.group(1)}
        ).status_code
        == 302
    )
    (event,) = events(db)
    assert logo_of(db, event.id) == (PNG, "image/png")


def test_a_carried_logo_is_checked_again(db, organiser):
    forged = "PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+"  # <svg><script>…, in base64
    page = send(organiser, "/manage/events/new", {**FORM, "logo.pending": forged})
    assert page.status_code == 422
    assert MESSAGE in unescape(page.text)
    assert events(db) == []


def test_a_chosen_logo_survives_the_question_of_whom_to_email(db, factory, organiser):
    event_id = factory.event(capacity=1)
    for person in factory.invitees(event_id, 2):
        act(db, person.invitation_id, services.register, {})
    path = f"/manage/events/{event_id}/edit"
    form = dict(_current_form(organiser, path), **{"venue.name": "Salle B"})
    asked = send(organiser, path, form, PNG)
    assert "prévenir par email les 2 personnes" in unescape(asked.text)
    assert logo_of(db, event_id) == (None, "")  # not saved yet
    pending = PENDING.search(asked.text)
    assert pending is not None
    saved = send(organiser, path, {**form, "notify": "no", "logo.pending": pending.group(1)})
    assert saved.status_code == 302
    assert logo_of(db, event_id) == (PNG, "image/png")
    assert changed_emails(db) == 0
