"""Creating, changing and cancelling an event in the back office: the form's own buttons build
the programme without saving, refusals land on their field, a change of date or venue asks
whether to email the people concerned, and only organisers may do any of it."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from service.events.models import Event, Question
from service.mail.models import Message
from service.registrations import services
from tests.helpers import act
from tests.manage.clients import csrf_token, sign_in

FORM = {
    "title": "Rencontre d'été", "date": "2031-06-18", "starts": "14:30", "ends": "17:30",
    "venue.name": "Salle des fêtes", "venue.address": "1 rue de la Paix, Paris",
    "capacity": "50", "registration.waitlist_policy": "offer",
    "registration.claim_window_hours": "48", "registration.forwarding": "bound",
    "registration.forward_limit": "3",
}  # fmt: skip
PROGRAMME = {
    "programme.0.starts": "14:30", "programme.0.title": "Ouverture",
    "programme.0.speakers.0.name": "Odile Kirchner", "programme.0.speakers.0.role": "grand_temoin",
    "programme.1.starts": "15:00", "programme.1.title": "Table ronde",
    "questions.0.label": "Resterez-vous pour le cocktail ?", "questions.0.kind": "yes_no",
}  # fmt: skip


@pytest.fixture
def organiser(client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


def post(client, path: str, form: dict[str, str], op: str = "save"):
    return client.post(path, data={**form, "op": op, "csrf_token": csrf_token(client, path)})


def events(db) -> list[Event]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(Event).order_by(Event.id)))


@pytest.mark.parametrize(
    ("op", "fields", "field_shown"),
    [
        ("add-session", {}, 'name="programme.0.starts"'),
        ("add-speaker-0", {"programme.0.title": "A"}, 'name="programme.0.speakers.0.name"'),
        ("add-question", {}, 'name="questions.0.label"'),
        ("remove-session-0", {"programme.0.title": "A", "programme.1.title": "B"},
         'value="B"'),
    ],
)  # fmt: skip
def test_the_forms_buttons_build_it_without_saving(db, organiser, op, fields, field_shown):
    page = post(organiser, "/manage/events/new", {**FORM, **fields}, op)
    assert page.status_code == 200
    assert field_shown in page.text
    assert events(db) == []


def test_moving_a_session_up_swaps_it_with_the_one_before(db, organiser):
    fields = {**FORM, "programme.0.title": "Premier", "programme.1.title": "Second"}
    page = post(organiser, "/manage/events/new", fields, "up-session-1").text
    assert page.index('value="Second"') < page.index('value="Premier"')


def test_a_new_event_is_saved_with_its_programme_and_question(db, organiser):
    answer = post(organiser, "/manage/events/new", {**FORM, **PROGRAMME})
    assert answer.status_code == 302
    (event,) = events(db)
    with db.transaction(write=False) as session:
        event = session.get(Event, event.id)
        assert event.slug == "rencontre-d-ete-2031"
        assert [s.title for s in event.sessions] == ["Ouverture", "Table ronde"]
        assert [(p.name, p.role.value) for p in event.sessions[0].speakers] == [
            ("Odile Kirchner", "grand_temoin")
        ]
        assert [q.key for q in event.questions] == ["resterez_vous_pour_le_cocktail"]
    page = organiser.get(answer.headers["Location"]).text
    assert "créé" in unescape(page)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"capacity": "beaucoup"}, "capacity", "Un nombre entier"),
        ({"title": ""}, "title", "À remplir."),
        ({"date": "2020-01-01"}, "date", "Cette date est passée."),
        ({"ends": "13:00"}, "ends", "La fin doit venir après le début."),
        ({"programme.0.starts": "25h", "programme.0.title": "X"}, "programme.0.starts",
         "Une heure, par exemple 14:30."),
    ],
)  # fmt: skip
def test_a_refused_field_is_named_and_nothing_is_saved(db, organiser, changes, field, message):
    page = post(organiser, "/manage/events/new", {**FORM, **changes})
    assert page.status_code == 422
    text = unescape(page.text)
    assert f'id="{field.replace(".", "-")}-error">{message}' in text
    assert events(db) == []


def test_a_slug_already_taken_is_refused(db, factory, organiser):
    factory.event(slug="prise")
    page = post(organiser, "/manage/events/new", {**FORM, "slug": "prise"})
    assert page.status_code == 422
    assert "Un autre événement porte déjà cet identifiant." in unescape(page.text)


CHOICE = {
    "questions.0.label": "Vous venez au titre de", "questions.0.kind": "choice",
    "questions.0.choices": "Collectivité\nRéseau\nAutre",
}  # fmt: skip


def test_english_options_are_saved_in_the_order_typed(db, organiser):
    english = {"questions.0.choices_en": "Local authority\r\n\r\nNetwork\r\nOther\r\n"}
    answer = post(organiser, "/manage/events/new", {**FORM, **CHOICE, **english})
    assert answer.status_code == 302
    with db.transaction(write=False) as session:
        (question,) = session.scalars(select(Question)).all()
        assert question.choices_en == ["Local authority", "Network", "Other"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"questions.0.choices_en": "Local authority\nNetwork"},
         "Autant d’options en anglais qu’en français, dans le même ordre (en français\u00a0: "
         "3\u202f; en anglais\u00a0: 2)."),
        ({"questions.0.kind": "yes_no", "questions.0.choices_en": "Yes"},
         "Seule une question à réponse «\u00a0choix\u00a0» a des options\u00a0: videz ce champ ou "
         "changez la réponse attendue."),
    ],
)  # fmt: skip
def test_refused_english_options_are_named_and_kept(db, organiser, changes, message):
    page = post(organiser, "/manage/events/new", {**FORM, **CHOICE, **changes})
    assert page.status_code == 422
    text = unescape(page.text)
    assert f'id="questions-0-choices_en-error">{message}</p>' in text
    assert f'<a href="#questions-0-choices_en">Options en anglais : {message}</a>' in text
    typed = text.split('name="questions.0.choices_en"', 1)[1].split("</textarea>", 1)[0]
    assert typed.endswith(">" + changes["questions.0.choices_en"])
    assert events(db) == []


def test_the_edit_form_shows_the_english_options_beside_the_french(db, factory, organiser):
    question = {"key": "structure", "label": "Vous venez au titre de", "kind": "choice",
                "choices": ["Collectivité", "Réseau"],
                "choices_en": ["Local authority", "Network"]}  # fmt: skip
    event_id = factory.event(questions=[question])
    form = _current_form(organiser, f"/manage/events/{event_id}/edit")
    assert form["questions.0.choices"] == "Collectivité\nRéseau"
    assert form["questions.0.choices_en"] == "Local authority\nNetwork"
    page = unescape(organiser.get(f"/manage/events/{event_id}/edit").text)
    assert "Les options en anglais (facultatif, dans le même ordre)" in page


@pytest.fixture
def registered(db, factory) -> int:
    """An event with two people holding or waiting for its one seat."""
    event_id = factory.event(capacity=1)
    for person in factory.invitees(event_id, 2):
        act(db, person.invitation_id, services.register, {})
    return event_id


def changed_emails(db) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(Message).where(Message.template == "event_changed")
        )


@pytest.mark.parametrize(("answer", "emailed"), [("yes", 2), ("no", 0)])
def test_a_new_venue_asks_whether_to_email_the_people_concerned(
    db, organiser, registered, answer, emailed
):
    path = f"/manage/events/{registered}/edit"
    form = dict(_current_form(organiser, path), **{"venue.name": "Salle B"})
    asked = post(organiser, path, form)
    assert asked.status_code == 200
    assert "prévenir par email les 2 personnes" in unescape(asked.text)
    with db.transaction(write=False) as session:
        assert session.get(Event, registered).venue_name == "Auditorium"  # not saved yet
    saved = post(organiser, path, {**form, "notify": answer})
    assert saved.status_code == 302
    with db.transaction(write=False) as session:
        assert session.get(Event, registered).venue_name == "Salle B"
    assert changed_emails(db) == emailed


def test_a_new_title_is_saved_without_asking(db, organiser, registered):
    path = f"/manage/events/{registered}/edit"
    form = dict(_current_form(organiser, path), title="Nouveau titre")
    assert post(organiser, path, form).status_code == 302
    assert changed_emails(db) == 0


def _current_form(client, path: str) -> dict[str, str]:
    """The values the edit form shows, as a browser would send them back."""
    from html.parser import HTMLParser

    values: dict[str, str] = {}

    class Reader(HTMLParser):
        field: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("type") not in ("radio", "checkbox", "hidden"):
                values[a["name"]] = a.get("value") or ""
            elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
                values[a["name"]] = "on"
            elif tag in ("textarea", "select"):
                self.field = a["name"]
                values[self.field] = ""
            elif tag == "option" and "selected" in a and self.field:
                values[self.field] = a["value"]

        def handle_data(self, data):
            if self.field and self.lasttag == "textarea":
                values[self.field] += data

        def handle_endtag(self, tag):
            if tag in ("textarea", "select"):
                self.field = None

    Reader().feed(unescape(client.get(path).text))
    values.pop("csrf_token", None)
    return values


def test_cancelling_asks_then_tells_the_people_concerned(db, organiser, registered):
    path = f"/manage/events/{registered}/cancel"
    assert "les 2 personnes" in unescape(organiser.get(path).text)
    answer = organiser.post(path, data={"csrf_token": csrf_token(organiser, path), "notify": "yes"})
    assert answer.status_code == 302
    with db.transaction(write=False) as session:
        assert session.get(Event, registered).cancelled_at is not None
        sent = session.scalar(
            select(func.count()).select_from(Message).where(Message.template == "event_cancelled")
        )
    assert sent == 2
    page = unescape(organiser.get(f"/manage/events/{registered}").text)
    assert "Événement annulé le" in page
    assert "Modifier l’événement" not in page


@pytest.mark.parametrize("role", ["comms", "door"])
def test_only_organisers_create_change_or_cancel(db, client, factory, registered, role):
    events_ = (registered,) if role == "door" else ()
    sign_in(client, f"{role}@example.org", factory.user(f"{role}@example.org", role, events_))
    token = csrf_token(client, "/manage/")
    for path in ("/manage/events/new", f"/manage/events/{registered}/edit",
                 f"/manage/events/{registered}/cancel"):  # fmt: skip
        assert client.get(path).status_code == 403
        assert client.post(path, data={**FORM, "csrf_token": token}).status_code == 403
    assert len(events(db)) == 1
    with db.transaction(write=False) as session:
        assert session.get(Event, registered).cancelled_at is None
    assert "Nouvel événement" not in client.get("/manage/").text
