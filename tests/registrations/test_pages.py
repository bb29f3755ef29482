"""The public pages of the personal link, state by state, and what they must never do: change
anything on a GET or a HEAD (mail scanners open every link), leak the link, or tell a forged link
from an unknown one."""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import MetaData, func, select
from sqlalchemy.exc import SAWarning

from service import create_app
from service.config import load_settings
from service.db import Database, utcnow
from service.registrations import services
from service.registrations.invitations import invitation_token, invite, revoke_link
from service.registrations.models import Invitation, Registration
from service.security import Purpose, make_token
from tests.conftest import TEST_ENV
from tests.helpers import act

PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "service" / "translations"
CSS = ROOT / "service" / "static" / "convier.css"
ASKED_FIRST = ("decline", "cancel", "accept")  # their GET is a page asking for the step
ACTIONS = ("register", "decline", "cancel", "accept", "release")
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
QUESTIONS = [
    {
        "key": "drink",
        "kind": "yes_no",
        "label": "Je resterai pour le verre",
        "label_en": "I will stay for a drink",
    },
    {
        "key": "diet",
        "kind": "text",
        "label": "Régime alimentaire",
        "label_en": "Dietary requirements",
        "required": True,
    },
    {
        "key": "sector",
        "kind": "choice",
        "label": "Vous venez au titre de",
        "choices": ["PTCE", "Réseau"],
    },
]
ANSWERS = {"diet": "aucun"}


VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
BLOCKS = frozenset(
    {"address", "article", "br", "button", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2"}
    | {"h3", "header", "label", "li", "main", "nav", "ol", "option", "p", "section", "select"}
    | {"title", "ul"}
)


class Page(HTMLParser):
    """What a page says: its text (with the labels of controls), its language, its forms and
    controls. Text inside an element whose `lang` is `skip_lang` is left out of `text`."""

    def __init__(self, html: str, skip_lang: str | None = None):
        super().__init__(convert_charrefs=True)
        self.skip_lang = skip_lang
        self.lang: str | None = None
        self.chunks: list[str] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.label_for: dict[str, str] = {}
        self._stack: list[tuple[str, bool]] = []
        self._label: tuple[str, list[str]] | None = None
        self.feed(html)
        self.close()

    @property
    def _skipping(self) -> bool:
        return any(skip for _, skip in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "html":
            self.lang = attributes.get("lang")
        skip = self.skip_lang is not None and attributes.get("lang") == self.skip_lang
        if tag == "label":
            self._label = (attributes.get("for", ""), [])
        if not self._skipping and not skip:
            for name in ("aria-label", "alt", "title", "placeholder"):
                if attributes.get(name):
                    self.chunks.append(attributes[name])
        if tag in BLOCKS:
            self.chunks.append(" ")
        if tag not in VOID:
            self._stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label is not None:
            target, words = self._label
            self.label_for[target] = " ".join("".join(words).split())
            self._label = None
        if tag in BLOCKS:
            self.chunks.append(" ")
        while self._stack:
            name, _ = self._stack.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self._label[1].append(data)
        if self._stack and self._stack[-1][0] in ("script", "style"):
            return
        if not self._skipping:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        """The text, white space collapsed (non-breaking spaces become plain spaces)."""
        return " ".join("".join(self.chunks).split())

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        """The attributes of each `tag` element whose attributes include `attrs`."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k) == v for k, v in wanted.items())
        ]

    def actions(self) -> list[str]:
        """The last part of each form's action: register, decline…"""
        return [a["action"].split("?")[0].rsplit("/", 1)[-1] for a in self.find("form")]

    def csrf(self) -> str:
        """The CSRF token of the page's forms."""
        tokens = {a["value"] for a in self.find("input", name="csrf_token")}
        assert len(tokens) == 1, tokens
        return tokens.pop()


@dataclass(frozen=True)
class States:
    """Invitations in every state, by name: name → token; and the ids of what was made."""

    tokens: dict[str, str]
    invitation_ids: dict[str, int]
    event_id: int


def next_weekday(weekday: int, after_days: int = 40) -> date:
    """The first `weekday` (0 = Monday) at least `after_days` from today."""
    day = utcnow().astimezone(PARIS).date() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def new_invitee(factory: Any, event_id: int, email: str, name: str) -> tuple[int, str]:
    """An invitation with a chosen name; returns its id and token."""
    with factory.db.transaction() as session:
        invitation = invite(session, factory.settings, event_id, email, name)
        return invitation.id, invitation_token(factory.settings, invitation)


def invitations_in_every_state(db: Database, factory: Any) -> States:
    """An open event (3 seats, seat offers) whose invitations are fresh, confirmed, attended,
    waitlisted (position 1 and 2), offered, declined and cancelled; an offer whose deadline has
    passed (on a second event); and an invitation to an event whose registration is closed."""
    wednesday = next_weekday(2).isoformat()
    event_id = factory.event(
        title="Rencontre de test", date=wednesday, capacity=3, questions=QUESTIONS,
        registration={"waitlist_policy": "offer", "claim_window_hours": 48},
        organiser={"name": "Le Labo", "email": "contact@example.org", "phone": "01 23 45 67 89"},
    )  # fmt: skip
    names = [
        "confirmed",
        "attended",
        "cancelled",
        "offered",
        "waitlisted_1",
        "waitlisted_2",
        "declined",
        "fresh",
    ]
    ids: dict[str, int] = {}
    tokens: dict[str, str] = {}
    for name in names:
        ids[name], tokens[name] = new_invitee(
            factory, event_id, f"{name}@example.org", "Claire Martin"
        )
    for name in ("confirmed", "attended", "cancelled", "offered", "waitlisted_1", "waitlisted_2"):
        act(db, ids[name], services.register, ANSWERS)
    act(db, ids["attended"], services.mark_attended)
    act(db, ids["cancelled"], services.cancel)  # its seat is offered to the first person waiting
    act(db, ids["declined"], services.decline)

    late_event = factory.event(
        capacity=1, registration={"waitlist_policy": "offer", "claim_window_hours": 1}
    )
    first, tokens["first_of_late"] = new_invitee(
        factory, late_event, "first@example.org", "Karim Benali"
    )
    ids["offer_expired"], tokens["offer_expired"] = new_invitee(
        factory, late_event, "late@example.org", "Karim Benali"
    )
    long_ago = utcnow() - timedelta(hours=3)
    act(db, first, services.register, {}, now=long_ago)
    act(db, ids["offer_expired"], services.register, {}, now=long_ago)
    act(db, first, services.cancel, now=long_ago)  # the offer ran out two hours ago

    closed_event = factory.event(
        registration={"closes_at": (utcnow() - timedelta(days=1)).isoformat()}
    )
    ids["closed"], tokens["closed"] = new_invitee(
        factory, closed_event, "closed@example.org", "Jean Dupont"
    )
    return States(tokens, ids, event_id)


def refused_tokens(db: Database, factory: Any, states: States) -> dict[str, str]:
    """Links that must be refused: forged, unknown, for another purpose, expired, revoked."""
    settings = factory.settings
    good = states.tokens["confirmed"]
    with db.transaction() as session:
        invitation = session.get(Invitation, states.invitation_ids["confirmed"])
        assert invitation is not None
        public_id = invitation.public_id
        revoked = session.get(Invitation, states.invitation_ids["waitlisted_2"])
        assert revoked is not None
        revoked_token = invitation_token(settings, revoked)
        revoke_link(session, revoked)
    return {
        "forged": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "unknown": make_token(settings.signing_keys, Purpose.INVITATION, "nobody-has-this-id", 1),
        "cross_purpose": make_token(settings.signing_keys, Purpose.UNSUBSCRIBE, public_id, 1),
        "expired": old_token(settings.signing_keys, public_id, days=settings.link_max_age_days + 1),
        "revoked": revoked_token,
        "garbage": "not-a-token",
    }


def old_token(keys: list[str], public_id: str, days: int, version: int = 1) -> str:
    """A genuine invitation token, signed `days` ago."""

    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(datetime.now(UTC).timestamp()) - days * 24 * 3600

    serializer = URLSafeTimedSerializer(
        list(keys), salt=f"convier.{Purpose.INVITATION.value}", signer=LongAgo
    )
    return serializer.dumps([public_id, version])


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the database, every column, in primary-key order."""
    metadata = MetaData()
    with warnings.catch_warnings():  # SQLite's index on expressions: not needed to read rows
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        metadata.reflect(db.engine)
    rows = {}
    with db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [
                tuple(row) for row in connection.execute(select(table).order_by(*order))
            ]
    return rows


def registrations(db: Database) -> int:
    """How many registrations exist."""
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Registration)) or 0)


def show(client: Any, token: str, **headers: str) -> tuple[int, Page, Any]:
    """GET the personal page; returns the status, the parsed page and the response."""
    response = client.get(f"/r/{token}", headers=headers)
    return response.status_code, Page(response.get_data(as_text=True)), response


@pytest.fixture
def states(db: Database, factory: Any) -> States:
    """Invitations in every state."""
    return invitations_in_every_state(db, factory)


# --- each state shows the right thing ------------------------------------------------------------


def test_fresh_invitation_shows_the_event_the_programme_and_a_prefilled_form(db, factory, client):
    wednesday = next_weekday(2)
    event_id = factory.event(
        title="Rencontre nationale des PTCE",
        subtitle="Coopérer & innover",
        date=wednesday.isoformat(),
        starts="14:30",
        ends="17:30",
        venue={
            "name": "Auditorium de la Macif",
            "address": "17-21 place Étienne Pernet, 75015 Paris",
        },
        programme=[
            {
                "starts": "14:30",
                "ends": "14:50",
                "title": "Introduction",
                "speakers": [
                    {
                        "name": "Hugues Sibille",
                        "function": "Président",
                        "organisation": "Le Labo de l'ESS",
                        "role": "animation",
                    },
                    {"name": "Odile Kirchner", "role": "grand_temoin"},
                ],
            },
            {
                "starts": "14:50",
                "ends": "15:35",
                "title": "Partie 1 – Mise en perspective",
                "speakers": [{"name": "Laurent Fraisse", "organisation": "Institut Godin"}],
            },
        ],
    )
    _, token = new_invitee(factory, event_id, "claire.martin@example.org", "Claire Martin")

    status, page, response = show(client, token)

    assert status == 200
    assert response.mimetype == "text/html"
    assert page.lang == "fr"
    text = page.text
    assert "Rencontre nationale des PTCE" in text
    assert "Coopérer & innover" in text
    # The date and times are those of Paris, not UTC (14:30 in Paris is 12:30 or 13:30 UTC).
    assert f"mercredi {wednesday.day} " in text.lower()
    assert "de 14h30 à 17h30" in text
    assert "12h30" not in text
    assert "13h30" not in text
    assert "Auditorium de la Macif" in text
    assert "17-21 place Étienne Pernet, 75015 Paris" in text
    # The programme, its times and speakers.
    assert "14h30 – 14h50 Introduction" in text
    assert "Hugues Sibille, Président — Le Labo de l'ESS (Animation)" in text
    assert "Odile Kirchner (Grand témoin)" in text
    assert "14h50 – 15h35 Partie 1 – Mise en perspective" in text
    assert "Laurent Fraisse — Institut Godin" in text
    # The form, filled with what we know of the person.
    assert "Invitation adressée à claire.martin@example.org" in text
    assert page.find("input", id="first_name")[0]["value"] == "Claire"
    assert page.find("input", id="last_name")[0]["value"] == "Martin"
    assert page.find("input", id="organisation")[0]["value"] == ""
    # The last form hands the invitation to a colleague (the link is bound to its person).
    assert page.actions() == ["register", "decline", "transfer"]
    assert "S’inscrire" in text
    assert "Je ne pourrai pas venir" in text
    # Nothing about a state the person is not in.
    for other in ("confirmée", "liste d’attente", "s’est libérée", "annulée"):
        assert other not in text


def test_confirmed_page_offers_to_manage_and_a_calendar_file_with_utc_start_and_stable_uid(
    db, factory, client
):
    wednesday = next_weekday(2)
    event_id = factory.event(
        title="Rencontre au calendrier", date=wednesday.isoformat(), starts="14:30", ends="17:30"
    )
    first, token = new_invitee(factory, event_id, "claire@example.org", "Claire Martin")
    _, other_token = new_invitee(factory, event_id, "karim@example.org", "Karim Benali")
    act(db, first, services.register, {})

    status, page, _ = show(client, token)

    assert status == 200
    assert "Claire Martin, votre inscription est confirmée." in page.text
    assert "Conservez ce lien" in page.text
    assert page.actions() == []  # cancelling is asked on its own page first
    assert len(page.find("a", href=f"/r/{token}/cancel")) == 1
    assert "Annuler mon inscription" in page.text
    (link,) = page.find("a", href=f"/r/{token}/event.ics")
    assert "download" in link

    response = client.get(f"/r/{token}/event.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    raw = response.get_data(as_text=True)
    assert raw.startswith("BEGIN:VCALENDAR")
    calendar = Calendar.from_ical(raw)
    (entry,) = calendar.walk("VEVENT")
    start = datetime.combine(wednesday, time(14, 30), tzinfo=PARIS).astimezone(UTC)
    assert entry.decoded("dtstart") == start
    assert entry.decoded("dtend") == start + timedelta(hours=3)
    assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z" in raw.replace("\r\n", "\n")
    assert str(entry["summary"]) == "Rencontre au calendrier"
    uid = str(entry["uid"])
    assert uid == f"convier-event-{event_id}@127.0.0.1"
    # The same entry for every download and every invitee, so that calendars update one entry.
    again = Calendar.from_ical(client.get(f"/r/{other_token}/event.ics").get_data(as_text=True))
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [uid]


def _links(page: Page) -> list[str]:
    return [attributes.get("href", "") for tag, attributes in page.elements if tag == "a"]


def test_each_state_shows_its_message_and_only_its_buttons(db, factory, client, states):
    expected = {
        "fresh": ("Invitation adressée à", ["register", "decline", "transfer"]),
        "confirmed": ("votre inscription est confirmée", []),
        "attended": ("Merci de votre participation.", []),
        "waitlisted_1": ("vous êtes inscrit·e sur la liste d’attente, en position 1.", []),
        "waitlisted_2": ("vous êtes inscrit·e sur la liste d’attente, en position 2.", []),
        "offered": ("Une place s’est libérée pour vous.", ["accept", "release"]),
        "offer_expired": ("Le délai pour accepter cette place est passé", []),
        "declined": ("Vous avez indiqué que vous ne pourrez pas venir.", ["register"]),
        "cancelled": ("Votre inscription est annulée.", ["register"]),
        "closed": ("Les inscriptions sont closes pour cette rencontre.", []),
    }
    for name, (message, actions) in expected.items():
        status, page, _ = show(client, states.tokens[name])
        assert status == 200, name
        assert message in page.text, (name, page.text)
        assert page.actions() == actions, name
        # Cancelling is asked on its own page first (tests/registrations/test_step_pages.py).
        asks = f"/r/{states.tokens[name]}/cancel" in _links(page)
        assert asks == (name in ("confirmed", "waitlisted_1", "waitlisted_2")), name
    _, waitlisted, _ = show(client, states.tokens["waitlisted_2"])
    assert "Quitter la liste d’attente" in waitlisted.text


def test_offered_page_names_the_deadline_in_paris_time(db, factory, client, states):
    with db.transaction(write=False) as session:
        offer = session.scalars(
            select(Registration).where(
                Registration.invitation_id == states.invitation_ids["offered"]
            )
        ).one()
        deadline = offer.offer_expires_at
    assert deadline is not None
    local = deadline.astimezone(PARIS)

    _, page, _ = show(client, states.tokens["offered"])

    day = FRENCH_DAYS[local.weekday()]
    assert f"Elle vous est réservée jusqu’au {day} {local.day} " in page.text
    assert f"{local.year} à {local.hour}h{local.minute:02d}." in page.text
    assert "J’accepte la place" in page.text
    assert "Je laisse ma place" in page.text


def test_closed_registration_refuses_a_late_registration_and_stores_nothing(
    db, factory, client, states
):
    token = states.tokens["closed"]
    _, page, _ = show(client, token)
    assert page.actions() == []  # no form: the CSRF token of this browser comes from another page
    csrf = show(client, states.tokens["fresh"])[1].csrf()
    before = snapshot(db)

    response = client.post(f"/r/{token}/register", data={"csrf_token": csrf, "q_diet": "aucun"})

    assert response.status_code == 409
    assert (
        "Les inscriptions sont closes pour cette rencontre."
        in Page(response.get_data(as_text=True)).text
    )
    assert snapshot(db) == before


# --- refused links -------------------------------------------------------------------------------


def test_unknown_forged_cross_purpose_and_revoked_links_get_one_and_the_same_404(
    db, factory, client, states
):
    refused = refused_tokens(db, factory, states)
    answers = {}
    for name in ("forged", "unknown", "cross_purpose", "revoked", "garbage"):
        response = client.get(f"/r/{refused[name]}")
        answers[name] = (response.status_code, response.get_data())
        calendar = client.get(f"/r/{refused[name]}/event.ics")
        assert (calendar.status_code, calendar.get_data()) == answers[name], name
    assert len(set(answers.values())) == 1, answers.keys()
    status, body = answers["forged"]
    assert status == 404
    page = Page(body.decode())
    assert "Ce lien n’est pas valable" in page.text
    assert "Rencontre de test" not in page.text


def test_an_expired_link_gets_the_expired_page(db, factory, client, states):
    refused = refused_tokens(db, factory, states)
    response = client.get(f"/r/{refused['expired']}")
    assert response.status_code == 410
    text = Page(response.get_data(as_text=True)).text
    assert "Ce lien a expiré" in text
    assert "Rencontre de test" not in text


def test_a_link_just_within_its_age_is_accepted(db, factory, client, states):
    with db.transaction(write=False) as session:
        invitation = session.get(Invitation, states.invitation_ids["confirmed"])
        assert invitation is not None
        public_id = invitation.public_id
    token = old_token(
        factory.settings.signing_keys, public_id, days=factory.settings.link_max_age_days - 1
    )
    status, page, _ = show(client, token)
    assert status == 200
    assert "votre inscription est confirmée" in page.text


def test_a_link_signed_with_an_old_key_works_while_the_key_is_listed(db, factory, client, states):
    old_key = "the-previous-secret-key-0123456789"
    with db.transaction(write=False) as session:
        invitation = session.get(Invitation, states.invitation_ids["confirmed"])
        assert invitation is not None
        token = make_token(
            [old_key], Purpose.INVITATION, invitation.public_id, invitation.token_version
        )
    forged = client.get(f"/r/{states.tokens['confirmed'][:-4]}AAAA")

    rotated = create_app(
        load_settings({**TEST_ENV, "SECRET_KEYS_OLD": f"another-old-key-abcdefgh, {old_key}"})
    )
    retired = create_app(load_settings({**TEST_ENV, "SECRET_KEYS_OLD": ""}))
    try:
        response = rotated.test_client().get(f"/r/{token}")
        assert response.status_code == 200
        assert "votre inscription est confirmée" in Page(response.get_data(as_text=True)).text
        # New links are signed with the current key only.
        assert rotated.test_client().get(f"/r/{states.tokens['confirmed']}").status_code == 200

        refused = retired.test_client().get(f"/r/{token}")
        assert (refused.status_code, refused.get_data()) == (404, forged.get_data())
    finally:
        for application in (rotated, retired):
            application.extensions["convier.db"].dispose()


def test_a_revoked_link_is_refused_and_the_new_one_works(db, factory, client, states):
    old = states.tokens["confirmed"]
    with db.transaction() as session:
        invitation = session.get(Invitation, states.invitation_ids["confirmed"])
        assert invitation is not None
        revoke_link(session, invitation)
        new = invitation_token(factory.settings, invitation)
    forged = client.get(f"/r/{old[:-4]}AAAA")

    refused = client.get(f"/r/{old}")
    assert (refused.status_code, refused.get_data()) == (404, forged.get_data())
    assert (
        client.post(
            f"/r/{old}/cancel",
            data={"csrf_token": Page(client.get(f"/r/{new}/cancel").text).csrf()},
        ).status_code
        == 404
    )
    assert show(client, new)[0] == 200
    assert "votre inscription est confirmée" in show(client, new)[1].text


def test_every_token_page_sends_no_referrer_and_no_store(db, factory, client, states):
    refused = refused_tokens(db, factory, states)
    responses = []
    for token in [*states.tokens.values(), *refused.values()]:
        responses.append(client.get(f"/r/{token}"))
        responses.append(client.head(f"/r/{token}"))
        responses.append(client.get(f"/r/{token}/event.ics"))
    token = states.tokens["fresh"]
    csrf = show(client, token)[1].csrf()
    responses.append(client.post(f"/r/{token}/register", data={}))  # 400: no CSRF token
    responses.append(client.post(f"/r/{token}/register", data={"csrf_token": csrf}))  # 422
    responses.append(
        client.post(f"/r/{token}/register", data={"csrf_token": csrf, "q_diet": "aucun"})
    )  # 303
    responses.append(
        client.post(f"/r/{refused['forged']}/register", data={"csrf_token": csrf})
    )  # 404
    assert {r.status_code for r in responses} == {200, 303, 400, 404, 410, 422}
    for response in responses:
        assert response.headers["Referrer-Policy"] == "no-referrer", response.request.path
        assert response.headers["Cache-Control"] == "no-store", response.request.path
    page = Page(responses[0].get_data(as_text=True))
    assert page.find("meta", name="referrer", content="no-referrer")


# --- acting on the page --------------------------------------------------------------------------


def test_a_post_without_csrf_token_gets_a_friendly_400_and_changes_nothing(
    db, factory, client, states
):
    steps = [("fresh", "register"), ("fresh", "decline"), ("confirmed", "cancel"),
             ("offered", "accept"), ("offered", "release"), ("waitlisted_1", "cancel")]  # fmt: skip
    for name, action in steps:
        token = states.tokens[name]
        show(client, token)  # the browser has a session, but the form's token is missing or wrong
        before = snapshot(db)
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(f"/r/{token}/{action}", data={**data, "q_diet": "aucun"})
            assert response.status_code == 400, (name, action)
            page = Page(response.get_data(as_text=True))
            assert "Le formulaire a expiré" in page.text
            assert "rien n’a été modifié" in page.text
            assert "Traceback" not in page.text
            # The way back leads to the page of the link, in the page's language.
            assert page.find("a", href=f"/r/{token}?lang=fr")
        assert snapshot(db) == before, (name, action)


def test_an_unanswered_required_question_is_named_and_nothing_is_stored(
    db, factory, client, states
):
    token = states.tokens["fresh"]
    csrf = show(client, token)[1].csrf()
    before = snapshot(db)

    response = client.post(
        f"/r/{token}/register",
        data={
            "csrf_token": csrf,
            "first_name": "Claudine",
            "organisation": "Le Labo",
            "q_drink": "yes",
            "q_diet": "  ",
        },
    )

    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert "Merci de répondre à la question « Régime alimentaire »." in page.text
    assert page.find("a", href="#q_diet")
    assert page.find(
        "input", id="q_diet", **{"aria-invalid": "true", "aria-describedby": "q_diet-error"}
    )
    assert page.find("div", role="alert", id="form-errors")
    # What was typed is kept for the second try, but nothing is stored.
    assert page.find("input", id="first_name")[0]["value"] == "Claudine"
    assert page.find("input", id="organisation")[0]["value"] == "Le Labo"
    assert "checked" in page.find("input", id="q_drink")[0]
    assert snapshot(db) == before
    # In English, the question is named in English.
    response = client.post(f"/r/{token}/register?lang=en", data={"csrf_token": csrf})
    assert response.status_code == 422
    assert (
        "Please answer the question “Dietary requirements”."
        in Page(response.get_data(as_text=True)).text
    )
    assert snapshot(db) == before


def test_registering_then_repeating_the_post_makes_one_registration(db, factory, client, states):
    token = states.tokens["fresh"]
    csrf = show(client, token)[1].csrf()
    before = registrations(db)
    data = {"csrf_token": csrf, "q_diet": "végétarien", "q_sector": "Réseau"}
    first = client.post(f"/r/{token}/register", data=data)
    second = client.post(f"/r/{token}/register", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == f"/r/{token}"
    assert registrations(db) == before + 1
    _, page, _ = show(client, token)
    assert "liste d’attente" in page.text  # the event is full: three seats held
    with db.transaction(write=False) as session:
        (registration,) = session.scalars(
            select(Registration).where(Registration.invitation_id == states.invitation_ids["fresh"])
        ).all()
        assert registration.answers == {"diet": "végétarien", "sector": "Réseau", "drink": False}


def test_the_language_is_kept_from_the_form_to_the_page_after_it(db, factory, client, states):
    token = states.tokens["offered"]
    _, page, _ = show(client, f"{token}?lang=en")
    assert page.lang == "en"
    response = client.post(f"/r/{token}/accept?lang=en", data={"csrf_token": page.csrf()})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/r/{token}?lang=en"
    _, after, _ = show(client, f"{token}?lang=en")
    assert "Claire Martin, your registration is confirmed." in after.text


# --- mail scanners -------------------------------------------------------------------------------

SCANNERS = (
    # Microsoft Defender for Office 365 Safe Links
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0 SafeLinks/1.0",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro) "
    "Microsoft Office SafeLinks",
    # Proofpoint URL Defense
    "Mozilla/5.0 (compatible; Proofpoint URL Defense; +https://www.proofpoint.com/)",
    # Barracuda Email Security / Link Protection
    "Mozilla/5.0 (compatible; Barracuda Email Security Service; BarracudaCentral Link Protection)",
    # no user agent at all
    "",
)


def test_mail_scanners_opening_every_public_link_change_nothing(db, factory, app, states):
    """GET and HEAD with a mail scanner's user agent and no cookies, ten times over, on every
    link of every invitation state: not one column of one row changes."""
    refused = refused_tokens(db, factory, states)
    tokens = [*states.tokens.values(), *refused.values()]
    scanner = app.test_client(use_cookies=False)
    before = snapshot(db)
    assert len(before["registration"]) >= 9
    seen: dict[str, set[int]] = {"page": set(), "calendar": set(), "action": set(), "asked": set()}
    agents = itertools.cycle(SCANNERS)

    for _ in range(10):
        for token in tokens:
            for method in ("GET", "HEAD"):
                headers = {"User-Agent": next(agents), "Accept": "*/*"}
                seen["page"].add(
                    scanner.open(f"/r/{token}", method=method, headers=headers).status_code
                )
                seen["calendar"].add(
                    scanner.open(
                        f"/r/{token}/event.ics", method=method, headers=headers
                    ).status_code
                )
                for action in ACTIONS:
                    # Declining, cancelling and taking an offered seat have a page that asks first
                    # back to their own page); the other steps answer POST only.
                    kind = "asked" if action in ASKED_FIRST else "action"
                    seen[kind].add(
                        scanner.open(
                            f"/r/{token}/{action}", method=method, headers=headers
                        ).status_code
                    )

    assert seen == {
        "page": {200, 404, 410},
        "calendar": {200, 404, 410},
        "action": {405},
        "asked": {200, 303, 404, 410},
    }
    assert snapshot(db) == before


def test_a_head_request_answers_like_a_get_without_a_body(db, factory, client, states):
    token = states.tokens["fresh"]
    head = client.head(f"/r/{token}", headers={"User-Agent": SCANNERS[2]})
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["Cache-Control"] == "no-store"


# --- accessibility -------------------------------------------------------------------------------


def _controls(page: Page) -> Iterator[dict[str, str]]:
    for tag in ("input", "select", "textarea"):
        for attributes in page.find(tag):
            if attributes.get("type") not in ("hidden", "submit"):
                yield attributes


def test_every_field_has_a_label_and_every_state_is_announced(db, factory, client, states):
    refused = refused_tokens(db, factory, states)
    for lang in ("fr", "en"):
        for name, token in {**states.tokens, **refused}.items():
            response = client.get(f"/r/{token}?lang={lang}")
            page = Page(response.get_data(as_text=True))
            assert page.lang == lang, name
            for control in _controls(page):
                assert control.get("id"), (name, control)
                assert page.label_for.get(control["id"]), (name, lang, control)
            assert page.find("a", href="#main"), name
            assert page.find("main", id="main"), name
            assert len(page.find("h1")) == 1, name
            if response.status_code == 200 and name != "fresh" and name != "closed":
                assert page.find("p", role="status"), name
            for link in page.find("a", lang="en") + page.find("a", lang="fr"):
                assert link["hreflang"] == link["lang"]
    # An answer that is refused is announced as an alert.
    token = states.tokens["fresh"]
    response = client.post(
        f"/r/{token}/register", data={"csrf_token": show(client, token)[1].csrf()}
    )
    page = Page(response.get_data(as_text=True))
    assert page.find("div", role="alert")
    for control in _controls(page):
        assert page.label_for.get(control["id"]), control
    # The page's title says the state, for screen readers that read it first after a POST.
    assert "<title>Erreur — " in response.get_data(as_text=True)


def test_language_links_of_a_page_shown_after_a_post_lead_to_the_page_of_the_link(
    db, factory, client, states
):
    token = states.tokens["fresh"]
    csrf = show(client, token)[1].csrf()
    page = Page(
        client.post(f"/r/{token}/register", data={"csrf_token": csrf}).get_data(as_text=True)
    )
    assert [a["href"] for a in page.find("a", hreflang="fr") + page.find("a", hreflang="en")] == [
        f"/r/{token}?lang=fr",
        f"/r/{token}?lang=en",
    ]
    # Shown by GET, they only add ?lang=, repeating nothing of the address.
    page = show(client, token)[1]
    assert [a["href"] for a in page.find("a", hreflang="fr") + page.find("a", hreflang="en")] == [
        "?lang=fr",
        "?lang=en",
    ]


def _colours() -> dict[str, str]:
    root = re.search(r":root\s*{([^}]*)}", CSS.read_text())
    assert root, "convier.css declares its colours in :root"
    return dict(re.findall(r"--([\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})", root.group(1)))


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_of_the_stylesheet_colours_meets_wcag_aa():
    colours = _colours()
    css = CSS.read_text()
    # Every background colour written in the rules, plus the page and paper.
    backgrounds = {"paper": colours["paper"], "page": colours["page"]}
    backgrounds.update(
        {f"literal {c}": c for c in re.findall(r"background:\s*(#[0-9a-fA-F]{3,6})", css)}
    )
    for text in ("ink", "muted", "accent", "accent-dark", "ok", "warn", "danger"):
        for where, background in backgrounds.items():
            ratio = contrast(colours[text], background)
            assert ratio >= 4.5, f"--{text} on {where}: {ratio:.2f}:1"
    assert contrast(colours["accent-ink"], colours["accent"]) >= 4.5
    assert contrast(colours["accent-ink"], colours["accent-dark"]) >= 4.5
    # Borders of fields and the focus ring: 3:1 against what surrounds them.
    for part in ("field", "focus"):
        for where in ("paper", "page"):
            assert contrast(colours[part], colours[where]) >= 3, (part, where)
    focus = re.search(r"button:focus-visible[^{]*{([^}]*)}", css)
    assert focus, "convier.css styles the keyboard focus of buttons"
    assert "outline: 3px solid var(--focus)" in focus.group(1)
