"""The emails: every template in both languages against its snapshot, and what each one must hold
(escaped HTML, a text part, the campaigns' unsubscribe link, the invitation's programme and
buttons, inlined CSS, no `javascript:` link, English without French); the calendar entry, the
ticket's QR code, and `convier mail preview`.

The snapshots are tests/mail/snapshots/<email>.<language>.txt (subject, text, HTML), rendered for
the demo event (service/demo/rencontre-ptce-2017.yaml, 5 July 2017). After a deliberate change to
a template, a translation or the demo, rewrite them and review the diff:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/mail/test_templates.py
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import segno
from babel.messages.pofile import read_po
from click.testing import CliRunner
from icalendar import Calendar

from service.cli import main
from service.config import Settings
from service.db import Database
from service.demo import demo_spec
from service.events.calendar import event_uid
from service.events.models import Event
from service.events.services import create_event
from service.mail.attachments import TICKET_BORDER, TICKET_SCALE, event_ics, ticket_qr
from service.mail.context import email_context, personal_values
from service.mail.envelope import Address
from service.mail.kinds import EMAILS as DECLARED
from service.mail.render import (
    TEMPLATES,
    RenderedEmail,
    UnknownEmail,
    UnsafeLink,
    check_links,
    email_names,
    environment,
    render_email,
)
from service.registrations.invitations import invite
from service.registrations.tickets import ticket_code
from tests.registrations.test_pages import Page

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
LANGUAGES = ("fr", "en")
EMAILS = (
    "invitation", "follow_up", "confirmation", "waitlisted", "seat_offered", "offer_expired",
    "confirmed_from_waitlist", "reminder", "cancellation", "event_changed", "event_cancelled",
    "thank_you",
)  # fmt: skip
CAMPAIGN_EMAILS = {name for name, kind in DECLARED.items() if kind.campaign}
# What organisers may add, so that the snapshots show the optional blocks too.
EXTRA = {
    "access": "Métro ligne 8, station Lourmel ; bus 62, arrêt Place Étienne Pernet.",
    "resources_url": "https://www.lelabo-ess.org/rencontre-ptce-2017",
}
NOTES = {
    "invitation": "Jean-Louis Cabrespines, délégué général du CNCRES, animera les échanges.",
    "reminder": "Pensez à votre pièce d'identité : elle vous sera demandée à l'entrée.",
    "event_changed": "Odile Kirchner, Déléguée interministérielle à l'ESS, conclura la rencontre.",
    "event_cancelled": "Une nouvelle date vous sera proposée dès que possible.\n\nÀ très bientôt.",
    "thank_you": "La synthèse des échanges sera publiée en septembre.",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def event(db: Database, settings: Settings) -> Event:
    """The demo event with its programme loaded, usable after its session is closed."""
    with db.transaction() as session:
        spec = demo_spec(True, date(2017, 1, 1))
        created = create_event(session, spec, settings.tz, allow_past=True)
        session.flush()
        for item in created.sessions:
            assert item.speakers is not None  # loaded now: rendering happens after the session
        return created


def render(event: Event, settings: Settings, name: str, language: str, **links: str):
    """The email `name` for `event`, personal values as tags unless `links` gives URLs."""
    extra = {**EXTRA, "note": NOTES.get(name, "")}
    context = email_context(event, settings=settings, language=language, links=links, extra=extra)
    return render_email(name, language, context)


def snapshot_text(email: RenderedEmail) -> str:
    return (
        f"Subject: {email.subject}\n\n"
        f"===== text =====\n{email.text}\n"
        f"===== html =====\n{email.html}\n"
    )


class Links(HTMLParser):
    """Each link of an HTML part: (href, class, text)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []
        self._open: list[Any] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            self._open = [found.get("href") or "", found.get("class") or "", ""]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            href, cls, text = self._open
            self.links.append((href, cls, " ".join(text.split())))
            self._open = None


def email_fragments() -> set[str]:
    """Pieces of every French message of the emails whose English differs, long enough to tell."""
    root = Path(__file__).resolve().parents[2]
    with (root / "service/translations/en/LC_MESSAGES/messages.po").open("rb") as po_file:
        catalog = read_po(po_file, locale="en")
    fragments = set()
    for message in catalog:
        in_emails = any(
            path.startswith("service/templates/email/") for path, _ in message.locations
        )
        if not message.id or not in_emails or message.id == message.string:
            continue
        for piece in re.split(r"%\(\w+\)s", str(message.id)):
            piece = " ".join(piece.split()).strip(" .,:;?!«»—")
            if len(piece) >= 4:
                fragments.add(piece)
    return fragments


# --- the templates -------------------------------------------------------------------------------


def test_every_declared_email_has_its_three_templates_and_no_folder_is_undeclared():
    assert set(email_names()) == set(EMAILS)
    # account/: the emails of back-office accounts, which tell of no event (accounts/emails.py)
    folders = {p.name for p in TEMPLATES.iterdir() if p.is_dir()} - {"_base", "common", "account"}
    assert folders == set(EMAILS)
    for name in EMAILS:
        assert {p.name for p in (TEMPLATES / name).iterdir()} == {
            "subject.txt",
            "body.txt",
            "body.html",
        }


def test_an_unknown_email_is_refused_with_the_known_names(event, settings):
    with pytest.raises(UnknownEmail) as caught:
        render(event, settings, "invitaton", "fr")
    assert "'invitaton'" in str(caught.value)
    for name in EMAILS:
        assert name in str(caught.value)


def test_the_base_layout_holds_no_words_to_translate():
    # pybabel (and tests/service/test_i18n.py) skip folders starting with "_": words put there
    # would never reach the catalogue, and would stay French in English emails.
    for path in (TEMPLATES / "_base").iterdir():
        source = path.read_text(encoding="utf-8")
        assert "{% trans" not in source, path
        assert "_(" not in source, path


def test_compiled_templates_are_kept():
    assert environment("fr") is environment("fr")
    env = environment("en")
    assert env.get_template("invitation/body.html") is env.get_template("invitation/body.html")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", EMAILS)
def test_every_email_matches_its_snapshot(event, settings, name, language):
    path = SNAPSHOTS / f"{name}.{language}.txt"
    rendered = snapshot_text(render(event, settings, name, language))
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), (
        f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 (see the docstring)"
    )
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is deliberate, run with UPDATE_SNAPSHOTS=1"
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", EMAILS)
def test_every_email_has_a_one_line_subject_a_text_part_and_the_organiser(
    event, settings, name, language
):
    email = render(event, settings, name, language)
    assert email.subject
    assert "\n" not in email.subject
    assert "%%greeting%%" in email.text  # the greeting, personal to each recipient
    assert "debora@lelabo-ess.org" in email.text
    assert "01 80 05 82 00" in email.text
    assert all(len(line) <= 76 for line in email.text.splitlines() if " " in line.strip())
    assert 'href="mailto:debora@lelabo-ess.org"' in email.html
    assert 'href="tel:0180058200"' in email.html
    page = Page(email.html)
    assert page.lang == language
    for image in page.find("img"):
        assert image["src"].startswith("cid:"), "no tracking pixel, no remote image"
        assert image["alt"], "every image says what it shows"


@pytest.mark.parametrize("name", EMAILS)
def test_campaign_emails_carry_a_visible_unsubscribe_link(event, settings, name):
    for language in LANGUAGES:
        email = render(event, settings, name, language)
        unsubscribe = [
            link for link in Links(email.html).links if link[0] == "%%unsubscribe.html%%"
        ]
        assert bool(unsubscribe) == (name in CAMPAIGN_EMAILS), (name, language)
        assert ("%%unsubscribe%%" in email.text) == (name in CAMPAIGN_EMAILS), (name, language)
        if unsubscribe:
            assert unsubscribe[0][2] == {"fr": "Se désinscrire", "en": "Unsubscribe"}[language]


def test_the_invitation_shows_the_programme_the_venue_and_the_buttons(event, settings):
    email = render(event, settings, "invitation", "fr")
    text = Page(email.html).text
    assert email.subject == (
        "Invitation — Rencontre nationale des Pôles Territoriaux de Coopération Économique, "
        "5 juillet 2017"
    )
    for words in (
        "Mercredi 5 juillet 2017, de 14h30 à 17h30",
        "Auditorium de la Macif",
        "17-21 place Étienne Pernet, 75015 Paris",
        "Participation sur inscription exclusivement.",
        "14h00 Accueil des participants",
        "14h30 – 14h50 Introduction",
        "Hugues Sibille, Président — Le Labo de l'ESS (Animation)",
        "Odile Kirchner, Déléguée interministérielle à l'ESS (DIESS) (Grand témoin)",
        "Stéphane Montuzet, Directeur — CBE du Seignanx — PTCE Sud Aquitain (Témoignage)",
        "16h15 – 17h00 Partie 3 – Les PTCE demain… quel avenir ?",
    ):
        assert words in text, words
    assert (
        "Mercredi 5 juillet 2017, de 14h30 à 17h30\n\nAuditorium de la Macif\n17-21" in email.text
    )
    assert "14h30 – 14h50  Introduction" in email.text
    assert "  • Hugues Sibille, Président — Le Labo de l'ESS (Animation)" in email.text
    links = Links(email.html).links
    assert ("%%register.html%%", "button", "S’inscrire") in links
    assert ("%%decline.html%%", "", "Je ne pourrai pas venir") in links
    assert "S’inscrire\u00a0:\n%%register%%" in email.text
    assert "Dites-le-nous\u00a0:\n%%decline%%" in email.text


def test_real_links_are_written_escaped_in_html_and_as_given_in_text(event, settings):
    link = "https://convier.example.org/r/abc?lang=en&x=1"
    email = render(event, settings, "invitation", "fr", register=link)
    assert 'href="https://convier.example.org/r/abc?lang=en&amp;x=1"' in email.html
    assert link in email.text


def test_html_is_escaped_and_text_and_subject_are_not(db, factory, settings):
    title = 'Rencontre <script>alert("x")</script> & co'
    event_id = factory.event(title=title, subtitle="Élus & réseaux")
    with db.transaction(write=False) as session:
        event = session.get(Event, event_id)
        assert event is not None
        email = render(event, settings, "invitation", "fr")
    assert "<script>" not in email.html
    assert 'Rencontre &lt;script&gt;alert("x")&lt;/script&gt; &amp; co' in email.html
    assert "Élus &amp; réseaux" in email.html
    assert title in email.text
    assert title in email.subject
    assert "Élus & réseaux" in email.text


def test_css_is_inlined_and_only_the_media_query_stays_in_a_style_element(event, settings):
    for name in EMAILS:
        html = render(event, settings, name, "fr").html
        assert "<link" not in html
        assert "stylesheet" not in html
        styles = re.findall(r"<style>(.*?)</style>", html, re.S)
        assert len(styles) == 1, name
        assert styles[0].strip().startswith("@media"), name
        button = re.search(r'<a class="button" href="[^"]+" style="([^"]*)"', html)
        if name != "event_cancelled":  # the only email with nothing to click
            assert button, name
            assert "background-color: #1b5e7a" in button.group(1), name
        assert '<body style="' in html
        assert 'role="presentation"' in html


def test_no_link_can_run_code(event, settings):
    for scheme in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x"):
        with pytest.raises(ValueError, match="http"):
            email_context(event, settings=settings, language="fr", links={"register": scheme})
        with pytest.raises(ValueError, match="http"):
            email_context(
                event, settings=settings, language="fr", links={}, extra={"resources_url": scheme}
            )
    for html in ('<a href="javascript:x">', "<a href=' JAVASCRIPT:x'>", '<img src="data:x">'):
        with pytest.raises(UnsafeLink):
            check_links(html)
    for name in EMAILS:
        for language in LANGUAGES:
            html = render(event, settings, name, language).html
            hrefs = [href for href, _, _ in Links(html).links]
            assert all(re.match(r"^(%%\w+\.html%%|https://|mailto:|tel:)", h) for h in hrefs), hrefs


@pytest.mark.parametrize("name", EMAILS)
def test_english_emails_hold_no_french_but_the_organisers_words(event, settings, name):
    fragments = email_fragments()
    assert "Participation sur inscription exclusivement" in fragments
    email = render(event, settings, name, "en")
    page = Page(email.html, skip_lang="fr")
    french = sorted(f for f in fragments if f in page.text)
    assert not french, f"French left in the English {name}: {french}"
    assert not re.search(r"\b\d{1,2}h\d{2}\b", page.text)
    for words in ("Bonjour", "S’inscrire", "Se désinscrire", "Pour toute information", "mercredi"):
        assert words not in email.text, words
        assert words not in email.subject, words
    assert "%%greeting%%" in email.text
    assert "For further information:" in email.text


def test_the_greeting_names_the_person_or_no_one_never_their_address():
    assert personal_values("claire@example.org", "Claire", "Martin") == {
        "first_name": "Claire",
        "name": "Claire Martin",
        "email": "claire@example.org",
        "greeting": "Bonjour Claire,",
    }
    assert personal_values("k@example.org", "", "Benali")["greeting"] == "Bonjour Benali,"
    assert personal_values("k@example.org", " ", "")["greeting"] == "Bonjour,"
    assert personal_values("k@example.org", language="en")["greeting"] == "Hello,"
    assert personal_values("k@example.org", "Karim", language="en")["greeting"] == "Hello Karim,"


# --- attachments ---------------------------------------------------------------------------------


def _calendar(data: bytes) -> tuple[Calendar, Any]:
    calendar = Calendar.from_ical(data)
    (entry,) = calendar.walk("VEVENT")
    return calendar, entry


def test_the_calendar_entry_keeps_its_uid_and_counts_its_versions(db, factory, settings):
    event_id = factory.event(organiser={"name": "Le Labo de l'ESS", "email": "contact@example.org"})
    claire = Address("claire@example.org", "Claire Martin")
    with db.transaction() as session:
        event = session.get(Event, event_id)
        assert event is not None
        first = event_ics(event, settings, "REQUEST", claire)
        event.content_version = 3  # as an edit of the programme does
        updated = event_ics(event, settings, "REQUEST", claire)
        cancelled = event_ics(event, settings, "CANCEL", claire)
        uid = event_uid(event, settings)
        session.rollback()

    assert first.content_type == "text/calendar; method=REQUEST; charset=utf-8"
    assert cancelled.content_type.startswith("text/calendar; method=CANCEL")
    calendar, entry = _calendar(first.data)
    assert str(calendar["method"]) == "REQUEST"
    assert str(entry["uid"]) == f"convier-event-{event_id}@127.0.0.1" == uid
    assert entry.decoded("sequence") == 1
    assert str(entry["organizer"]) == "mailto:contact@example.org"
    assert str(entry["organizer"].params["cn"]) == "Le Labo de l'ESS"
    assert str(entry["attendee"]) == "mailto:claire@example.org"
    assert str(entry["attendee"].params["partstat"]) == "ACCEPTED"

    _, again = _calendar(updated.data)
    assert str(again["uid"]) == str(entry["uid"])
    assert again.decoded("sequence") == 3

    calendar, gone = _calendar(cancelled.data)
    assert str(calendar["method"]) == "CANCEL"
    assert str(gone["status"]) == "CANCELLED"
    assert str(gone["uid"]) == str(entry["uid"])
    assert gone.decoded("sequence") == 3


def test_without_an_organiser_the_calendar_names_the_sender(db, factory, settings):
    event_id = factory.event()
    with db.transaction(write=False) as session:
        event = session.get(Event, event_id)
        assert event is not None
        _, entry = _calendar(event_ics(event, settings).data)
    assert str(entry["organizer"]) == "mailto:convier@localhost"
    assert str(entry["organizer"].params["cn"]) == "Convier"
    assert "attendee" not in entry


def _png_pixels(data: bytes) -> tuple[int, int, list[list[int]]]:
    """Width, height and rows of 0/1 pixels of a 1-bit greyscale PNG (filters None and Up)."""
    assert data.startswith(PNG_SIGNATURE)
    position, idat, header = len(PNG_SIGNATURE), b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, colour) == (1, 0), "1-bit greyscale"
    raw, stride = zlib.decompress(idat), (width + 7) // 8
    rows: list[list[int]] = []
    previous = bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, scan = line[0], line[1:]
        assert kind in (0, 2), f"filter {kind}"
        scan = bytes((a + b) & 0xFF for a, b in zip(scan, previous, strict=True)) if kind else scan
        rows.append([(scan[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        previous = scan
    return width, height, rows


def test_the_ticket_is_an_inline_png_of_the_qr_code_of_its_payload():
    payload = ticket_code(["clé"], 1, 42, 1)
    ticket = ticket_qr(payload)
    assert (ticket.content_type, ticket.content_id) == ("image/png", "ticket@convier")
    code = segno.make(payload, error="m", micro=False)
    assert (code.mode, code.version) == ("alphanumeric", 2)
    width, height, pixels = _png_pixels(ticket.data)
    assert (width, height) == code.symbol_size(scale=TICKET_SCALE, border=TICKET_BORDER)
    # Each module, read at its centre, is the module segno computed for the payload.
    offset = TICKET_BORDER * TICKET_SCALE + TICKET_SCALE // 2
    read = [
        [1 - pixels[offset + r * TICKET_SCALE][offset + c * TICKET_SCALE] for c in range(len(row))]
        for r, row in enumerate(code.matrix)
    ]
    assert read == [[int(bool(m)) for m in row] for row in code.matrix]
    assert ticket_qr("autre chose").data != ticket.data


# --- convier mail preview ------------------------------------------------------------------------


def _preview(tmp_path: Path, *args: str) -> EmailMessage:
    out = tmp_path / "preview.eml"
    result = CliRunner().invoke(main, ["mail", "preview", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote {out}"
    message = BytesParser(policy=policy.default).parsebytes(out.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def test_preview_writes_a_complete_email_for_an_invited_contact(db, factory, settings, tmp_path):
    event_id = factory.event(title="Rencontre de test", organiser={"email": "contact@example.org"})
    with db.transaction() as session:
        invite(session, settings, event_id, "claire@example.org", "Claire Martin", "en")

    message = _preview(
        tmp_path, "confirmation", "--event", str(event_id), "--to", "claire@example.org"
    )

    assert message["To"].addresses[0].addr_spec == "claire@example.org"
    assert message["Subject"].startswith("Registration confirmed — Rencontre de test, ")
    assert message["Reply-To"].addresses[0].addr_spec == "contact@example.org"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Hello Claire," in text.get_content()
    assert "%%" not in text.get_content()
    assert "%%" not in html.get_content()
    assert f"{settings.base_url}/r/" in text.get_content()
    related = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert [p["Content-ID"] for p in related] == ["<ticket@convier>"]
    assert 'src="cid:ticket@convier"' in html.get_content()
    # The invitation proper is an alternative of the body, as calendar clients expect it.
    (ics,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert ics.get_param("method") == "REQUEST"
    _, entry = _calendar(ics.get_content().encode())
    assert str(entry["attendee"]) == "mailto:claire@example.org"


def test_preview_of_a_campaign_email_for_a_sample_person(db, factory, tmp_path):
    event_id = factory.event()

    message = _preview(tmp_path, "invitation", "--event", str(event_id))

    assert message["To"].addresses[0].addr_spec == "claire.martin@example.org"
    assert message["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:5000/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_body(("plain",)) is not None
    assert "Bonjour Claire," in message.get_body(("html",)).get_content()
    assert not list(message.iter_attachments())


def test_preview_refuses_an_unknown_email_or_event(db, factory, tmp_path):
    event_id = factory.event()
    unknown = CliRunner().invoke(main, ["mail", "preview", "merci", "--event", str(event_id)])
    assert unknown.exit_code != 0
    assert "no email named 'merci'; known emails: cancellation, confirmation" in unknown.output
    missing = CliRunner().invoke(main, ["mail", "preview", "invitation", "--event", "999"])
    assert missing.exit_code != 0
    assert "no event with id 999" in missing.output


@pytest.mark.parametrize(
    ("language", "shown", "lang"), [("fr", "Venez", "fr"), ("en", "Come", "en")]
)
def test_the_organisers_words_come_in_the_emails_language(event, settings, language, shown, lang):
    extra = {"note": "Venez tôt.", "note_en": "Come early.", "access": "Métro 8"}
    context = email_context(event, settings=settings, language=language, links={}, extra=extra)
    email = render_email("invitation", language, context)
    assert f'<p lang="{lang}"' in email.html
    assert shown in email.text
    assert "Métro 8" in email.text  # no English given: the French serves both
    assert "note_en" not in context
