"""What an invitee reads on their page before and after each click: a full event says so before
the click; a seat is never lost by surprise."""

from __future__ import annotations

from service.registrations import services
from service.registrations.models import RegistrationStatus as S
from tests.helpers import act, statuses
from tests.registrations.test_pages import Page


def _said(client, token: str, lang: str = "fr") -> str:
    return Page(client.get(f"/r/{token}?lang={lang}").text).text


def test_a_full_event_says_so_before_the_click_and_labels_its_button(db, factory, client):
    event_id = factory.event(capacity=1)
    seated, waiting, newcomer = factory.invitees(event_id, 3)
    before = _said(client, newcomer.token)
    assert "S’inscrire" in before
    assert "complète" not in before
    act(db, seated.invitation_id, services.register, {})
    full = _said(client, newcomer.token)
    assert "La rencontre est complète." in full
    assert "M’inscrire sur la liste d’attente" in full
    assert "S’inscrire" not in full
    act(db, waiting.invitation_id, services.register, {})
    assert "La rencontre est complète et 1 personne attend déjà une place." in _said(
        client, newcomer.token
    )
    english = _said(client, newcomer.token, "en")
    assert "The event is full and 1 person is already waiting for a seat." in english
    assert "Join the waiting list" in english
    act(db, newcomer.invitation_id, services.register, {})
    assert statuses(db, event_id)[newcomer.invitation_id] is S.WAITLISTED  # what it said


def test_a_free_seat_with_people_waiting_still_means_waiting(db, factory, client):
    event_id = factory.event(capacity=1, registration={"waitlist_policy": "manual"})
    seated, waiting, newcomer = factory.invitees(event_id, 3)
    act(db, seated.invitation_id, services.register, {})
    act(db, waiting.invitation_id, services.register, {})
    act(db, seated.invitation_id, services.cancel)  # a seat is free; the organiser decides
    said = _said(client, newcomer.token)
    assert "1 personne attend déjà une place" in said
    assert "M’inscrire sur la liste d’attente" in said


def _come_back_form(html: str) -> tuple[bool, bool]:
    """Whether the page has a register form, and whether it sits folded in « Finalement, je
    souhaite venir »."""
    page = Page(html)
    tags = [(tag, attributes) for tag, attributes in page.elements]
    forms = [i for i, (tag, a) in enumerate(tags) if tag == "form" and "/register" in a["action"]]
    folds = [i for i, (tag, a) in enumerate(tags) if tag == "details" and "open" not in a]
    return bool(forms), bool(forms and folds and folds[0] < forms[0])


def test_after_handing_over_the_page_shows_the_declined_state_not_the_form(db, factory, client):
    from tests.registrations.test_forwarding import post

    event_id = factory.event()
    (person,) = factory.invitees(event_id, 1)
    html = post(client, person.token, "transfer", colleague_email="lea@example.org").text
    said = Page(html).text
    assert "votre collègue va y recevoir sa propre invitation" in said
    assert "Vous avez indiqué que vous ne pourrez pas venir." in said
    assert _come_back_form(html) == (True, True)  # coming after all: one click away, folded
    assert statuses(db, event_id)[person.invitation_id] is S.DECLINED
    # The same on every later visit, in English too.
    again = client.get(f"/r/{person.token}?lang=en").text
    assert "You told us that you will not be able to attend." in Page(again).text
    assert _come_back_form(again) == (True, True)


def test_a_new_invitee_sees_the_form_unfolded(db, factory, client):
    event_id = factory.event()
    (person,) = factory.invitees(event_id, 1)
    assert _come_back_form(client.get(f"/r/{person.token}").text) == (True, False)


def test_names_are_asked_for_until_the_contact_has_them(db, factory, client):
    from service.registrations.personal_link import Invitee
    from tests.registrations.test_forwarding import CSRF
    from tests.registrations.test_pages import new_invitee

    event_id = factory.event()
    invitation_id, token = new_invitee(factory, event_id, "anonyme@example.org", "")
    page = client.get(f"/r/{token}").text
    fields = {a["id"]: a for tag, a in Page(page).elements if tag == "input" and "id" in a}
    assert "required" in fields["first_name"]
    assert "required" in fields["last_name"]
    assert "required" not in fields["organisation"]
    csrf = CSRF.search(page).group(1)
    refused = client.post(f"/r/{token}/register", data={"csrf_token": csrf, "first_name": "Ada"})
    said = Page(refused.text).text
    assert refused.status_code == 422
    assert "Merci d’indiquer votre nom." in said
    assert "votre prénom" not in said
    assert 'id="last_name-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert 'value="Ada"' in refused.text  # what was typed stays
    assert statuses(db, event_id) == {}  # nothing stored
    done = client.post(
        f"/r/{token}/register",
        data={"csrf_token": csrf, "first_name": "Ada", "last_name": "Lovelace"},
    )
    assert done.status_code == 303
    assert "Ada Lovelace, votre inscription est confirmée." in _said(client, token)
    with db.transaction(write=False) as session:
        from service.registrations.models import Invitation

        invitee = Invitee.of(session.get(Invitation, invitation_id))
    assert (invitee.first_name, invitee.last_name) == ("Ada", "Lovelace")


def test_a_known_name_need_not_be_typed_again(db, factory, client):
    from tests.registrations.test_forwarding import CSRF

    event_id = factory.event()
    (person,) = factory.invitees(event_id, 1)  # « Personne 0 »
    page = client.get(f"/r/{person.token}").text
    fields = {a["id"]: a for tag, a in Page(page).elements if tag == "input" and "id" in a}
    assert "required" not in fields["first_name"]
    csrf = CSRF.search(page).group(1)
    cleared = {"csrf_token": csrf, "first_name": "", "last_name": ""}
    assert client.post(f"/r/{person.token}/register", data=cleared).status_code == 303
    assert "Personne 0, votre inscription est confirmée." in _said(client, person.token)


def test_a_person_without_a_name_is_greeted_neutrally_never_by_address(db, factory, client):
    from tests.registrations.test_pages import new_invitee

    event_id = factory.event()
    invitation_id, token = new_invitee(factory, event_id, "anonyme@example.org", "")
    act(db, invitation_id, services.register, {})  # registered by the API, without a name
    said = _said(client, token)
    assert "Votre inscription est confirmée." in said
    assert "anonyme@example.org, votre" not in said
    assert "Your registration is confirmed." in _said(client, token, "en")


def _header_title_footer(html: str) -> tuple[str, str, str]:
    header = html[html.index('<header class="site">') : html.index("</header>")]
    footer = html[html.index('<footer class="site">') :]
    title = Page(html[html.index("<title>") : html.index("</title>")]).text
    return Page(header).text, title, Page(footer).text


def test_the_organiser_invites_and_the_tool_keeps_to_the_footer(db, factory, client):
    event_id = factory.event(organiser={"name": "Le Labo de l'ESS", "email": "x@example.org"})
    (person,) = factory.invitees(event_id, 1)
    for path in (f"/r/{person.token}", f"/r/{person.token}/decline?lang=en"):
        header, title, footer = _header_title_footer(client.get(path).text)
        assert header.startswith("Le Labo de l'ESS")
        assert "Convier" not in header
        assert title.endswith("— Le Labo de l'ESS")
        assert "Convier" not in title
        assert "Convier" in footer
    # An event that names no organiser shows no one's name rather than the tool's.
    anonymous = factory.event(organiser={"name": "", "email": "x@example.org"})
    (other,) = factory.invitees(anonymous, 1, prefix="other")
    header, title, _ = _header_title_footer(client.get(f"/r/{other.token}").text)
    assert "Convier" not in header
    assert "Convier" not in title


def _csrf(client, path: str) -> str:
    from tests.registrations.test_forwarding import CSRF

    return CSRF.search(client.get(path).text).group(1)


def test_answers_are_said_back_and_changed_while_the_seat_stays(db, factory, client):
    from tests.registrations.test_pages import QUESTIONS

    event_id = factory.event(capacity=1, questions=QUESTIONS)
    seated, waiting = factory.invitees(event_id, 2)
    act(db, seated.invitation_id, services.register, {"drink": "yes", "diet": "végétarien"})
    act(db, waiting.invitation_id, services.register, {"diet": "aucun"})
    said = _said(client, seated.token)
    assert "Vos réponses" in said
    assert "Je resterai pour le verre oui" in said
    assert "Régime alimentaire végétarien" in said
    english = _said(client, seated.token, "en")
    assert "I will stay for a drink yes" in english
    # The change page asks the same as registering, filled with what was answered.
    page = client.get(f"/r/{seated.token}/answers").text
    assert 'value="végétarien"' in page
    form = {"csrf_token": _csrf(client, f"/r/{seated.token}/answers"), "q_diet": ""}
    refused = client.post(f"/r/{seated.token}/answers", data=form)
    assert refused.status_code == 422
    assert "Vos réponses n’ont pas été enregistrées." in Page(refused.text).text
    form["q_diet"] = "sans gluten"
    saved = client.post(f"/r/{seated.token}/answers", data=form)
    assert saved.status_code == 200
    assert "Vos réponses sont enregistrées" in Page(saved.text).text
    assert "Régime alimentaire sans gluten" in Page(saved.text).text
    assert "Je resterai pour le verre non" in Page(saved.text).text  # unticked: no
    assert statuses(db, event_id) == {
        seated.invitation_id: S.CONFIRMED,
        waiting.invitation_id: S.WAITLISTED,
    }
    # The one waiting keeps their place in line too.
    form = {"csrf_token": _csrf(client, f"/r/{waiting.token}/answers"), "q_diet": "vegan"}
    assert client.post(f"/r/{waiting.token}/answers", data=form).status_code == 200
    assert "en position 1" in _said(client, waiting.token)
    with db.transaction(write=False) as session:
        from service.registrations.models import Registration

        kept = {r.invitation_id: r.answers for r in session.query(Registration)}
    assert kept[seated.invitation_id] == {"drink": False, "diet": "sans gluten"}
    assert kept[waiting.invitation_id] == {"drink": False, "diet": "vegan"}


def test_only_a_seat_or_a_place_in_line_has_answers_to_change(db, factory, client):
    event_id = factory.event()
    fresh, gone = factory.invitees(event_id, 2)
    act(db, gone.invitation_id, services.register, {})
    csrf = _csrf(client, f"/r/{gone.token}/answers")
    act(db, gone.invitation_id, services.cancel)
    for person in (fresh, gone):
        assert client.get(f"/r/{person.token}/answers").status_code == 303
        late = client.post(f"/r/{person.token}/answers", data={"csrf_token": csrf})
        assert late.status_code == 303
    assert statuses(db, event_id) == {gone.invitation_id: S.CANCELLED}


def test_the_confirmation_email_says_the_answers_back(db, factory, settings):
    from sqlalchemy import select

    from service.mail.envelope import tag_values
    from service.mail.models import Message
    from service.sending.compose import load_claimed, recipient_for
    from tests.registrations.test_pages import QUESTIONS

    event_id = factory.event(questions=QUESTIONS)
    (person,) = factory.invitees(event_id, 1)
    act(db, person.invitation_id, services.register, {"drink": "yes", "diet": "végétarien"})
    with db.transaction(write=False) as session:
        message = session.scalar(select(Message).where(Message.template == "confirmation"))
        (row,) = load_claimed(session, [message.id])
        from service.events.models import Event

        values = tag_values(recipient_for(settings, session.get(Event, event_id), row))
    assert values["%%answers%%"].splitlines() == [
        "Nom\u00a0: Personne 0",
        "Je resterai pour le verre\u00a0: oui",
        "Régime alimentaire\u00a0: végétarien",
        "Vous venez au titre de\u00a0: —",  # an optional question left unanswered
    ]
    assert values["%%answers.html%%"].count("<br>") == 3  # one line each in HTML too
    assert values["%%change_answers%%"].endswith("/answers")


BILINGUAL = [
    {
        "key": "sector",
        "kind": "choice",
        "label": "Vous venez au titre de",
        "label_en": "You come as",
        "choices": ["Réseau", "Collectivité"],
        "choices_en": ["Network", "Local authority"],
    }
]


def test_the_options_of_a_question_read_in_the_page_s_language(db, factory, client):
    event_id = factory.event(questions=BILINGUAL)
    (person,) = factory.invitees(event_id, 1)
    english = client.get(f"/r/{person.token}?lang=en").text
    options = [a for tag, a in Page(english).elements if tag == "option"]
    assert [a["value"] for a in options] == ["", "Réseau", "Collectivité"]  # what is kept
    assert "Local authority" in Page(english).text
    assert "Collectivité" not in Page(english).text
    form = {"csrf_token": _csrf(client, f"/r/{person.token}?lang=en"), "q_sector": "Collectivité"}
    assert client.post(f"/r/{person.token}/register?lang=en", data=form).status_code == 303
    assert "You come as Local authority" in _said(client, person.token, "en")
    assert "Vous venez au titre de Collectivité" in _said(client, person.token)
    with db.transaction(write=False) as session:
        from service.events.models import Event
        from service.registrations.answers import answers_text

        event = session.get(Event, event_id)
        said = answers_text(
            event, {"name": "A B", "organisation": ""}, {"sector": "Collectivité"}, "en"
        )
    assert said.splitlines()[-1] == "You come as: Local authority"
