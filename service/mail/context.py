"""The context of the email templates, built from the ORM once per event and language.

Personal values are never rendered: the context holds `Tag`s, which print as `%%name%%` in the
subject and the text part and as `%%name.html%%` in the HTML part; the backend replaces them per
recipient (service/mail/envelope.py) with the values of `personal_values` and the links.

Keys (`render_email` adds `language`, `email_name`, `campaign` and, for the bodies, `subject`):

=================== ============================================= ==============================
key                 what                                          used by
=================== ============================================= ==============================
timezone            zone of the date filters (settings.timezone)  every email
event               EventView: title, subtitle, date, date_short, every email (facts: date,
                    starts, ends, venue_name, venue_address;      starts, ends, venue; subjects:
                    paragraphs (the description); sessions        title, date_short); paragraphs
                    (SessionView, SpeakerView with role_label);   in invitation; sessions in
                    welcome_at, map_url; closes; capacity,        invitation, follow_up,
                    seats_free, is_full                           event_changed; welcome_at and
                                                                  map_url in reminder; closes in
                                                                  invitation, follow_up; is_full
                                                                  in follow_up
organiser           OrganiserView: name, email, phone, phone_uri  every email (footer)
recipient           first_name, name, email, greeting: tags       every email (greeting)
links.register      tag or URL: the personal page                 invitation, follow_up
links.decline       tag or URL: the page with "Je ne pourrai…"    invitation, follow_up
links.accept        tag or URL: the page taking an offered seat   seat_offered
links.change_answers
                    tag or URL: the page changing one's answers   confirmation,
                                                                  confirmed_from_waitlist
links.manage        tag or URL: the page to cancel, accept…       every transactional email,
                                                                  reminder, event_changed
links.ics           tag or URL: the .ics of the event             confirmation, reminder,
                                                                  confirmed_from_waitlist
links.unsubscribe   tag or URL: the unsubscribe page              campaign emails (footer)
waitlist_position   tag: the person's rank                        waitlisted
offer_deadline      tag: the deadline, formatted by the sender    seat_offered
                    (render.format_date(…, "deadline", …))
answers             tag: « name : value » lines, the person's     confirmation,
                    name, organisation and answers                confirmed_from_waitlist
ticket_cid          Content-ID of the QR code, "" for none        confirmation,
                                                                  confirmed_from_waitlist
note                organiser's words, "" for none (extra)        invitation, follow_up, reminder,
                                                                  event_changed, event_cancelled,
                                                                  thank_you
access              how to get there, "" for none (extra)         invitation, follow_up, reminder,
                                                                  confirmation,
                                                                  confirmed_from_waitlist
resources_url       slides and notes, "" for none (extra)         invitation, follow_up, reminder,
                                                                  thank_you
lang_of             the language note, access and resources_url   where they are shown
                    are written in ("fr" or "en")
=================== ============================================= ==============================

The organiser's words (note, access, resources_url) come in French under their name and in
English under `<name>_en` (`note_en`); each email takes the one of its language, the other when
only one is given (`organiser_words`).

Tag names: first_name, name, email, greeting (values from `personal_values`), register, decline,
accept, change_answers, manage, ics, unsubscribe (the links), waitlist_position, offer_deadline,
answers. A link given as a tag of another name (`%%link_register%%`) keeps that name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote_plus, urlsplit

from service.config import Settings
from service.events.models import Event, SpeakerRole
from service.mail.attachments import TICKET_CONTENT_ID
from service.mail.envelope import html_tag, text_tag
from service.mail.render import format_date, language_of, translations

RECIPIENT_TAGS = ("first_name", "name", "email", "greeting")
LINK_NAMES = ("register", "decline", "accept", "change_answers", "manage", "ics", "unsubscribe")
PERSONAL_TAGS = ("waitlist_position", "offer_deadline", "answers")
SAFE_SCHEMES = ("https", "http", "mailto", "tel")
# What an organiser writes for a campaign's emails (its `extra`), in French under these names
# and in English under the name and ENGLISH.
ORGANISER_WORDS = ("note", "access", "resources_url")
ENGLISH = "_en"


@dataclass(frozen=True)
class Tag:
    """A personal value left to the backend: `%%name%%` as text, `%%name.html%%` in HTML."""

    name: str

    def __str__(self) -> str:
        return text_tag(self.name)

    def __html__(self) -> str:
        return html_tag(self.name)


@dataclass(frozen=True)
class SpeakerView:
    """A speaker as the programme prints them; `role_label` is empty for a plain intervention."""

    name: str
    function: str
    organisation: str
    role: str
    role_label: str


@dataclass(frozen=True)
class SessionView:
    """A timed part of the programme; `ends` is empty when the programme leaves it open."""

    starts: str
    ends: str
    title: str
    paragraphs: tuple[str, ...]
    speakers: tuple[SpeakerView, ...]


@dataclass(frozen=True)
class EventView:
    """What the emails say of an event, dates already in the recipient's language."""

    title: str
    subtitle: str
    paragraphs: tuple[str, ...]
    date: str  # 'mercredi 5 juillet 2017'
    date_short: str  # '5 juillet 2017'
    starts: str  # '14h30'
    ends: str
    welcome_at: str  # the first session's start when it comes before the event's, else ''
    closes: str  # the end of registration when set, else ''
    venue_name: str
    venue_address: str
    map_url: str
    sessions: tuple[SessionView, ...]
    capacity: int
    seats_free: int
    is_full: bool


@dataclass(frozen=True)
class OrganiserView:
    """Whom invitees can write to or call."""

    name: str
    email: str
    phone: str
    phone_uri: str
    colour: str  # of the emails' band, title and buttons


def paragraphs(text: str) -> tuple[str, ...]:
    """The paragraphs of a text typed by an organiser (separated by blank lines)."""
    return tuple(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def checked_url(name: str, value: str) -> str:
    """Return `value` when its scheme is one emails may link to, else raise ValueError."""
    scheme = urlsplit(value.strip()).scheme.lower()
    if scheme not in SAFE_SCHEMES:
        raise ValueError(f"{name}: expected an http(s), mailto: or tel: link, got {value!r}")
    return value


def _link(name: str, value: str | None) -> Tag | str:
    if value is None or value == text_tag(name):
        return Tag(name)
    if value.startswith("%%") and value.endswith("%%"):
        return Tag(value.strip("%"))
    return checked_url(f"links.{name}", value)


def _speakers(session: Any, gettext: Any) -> tuple[SpeakerView, ...]:
    _ = gettext
    labels = {
        SpeakerRole.ANIMATION: _("Animation"),
        SpeakerRole.GRAND_TEMOIN: _("Grand témoin"),
        SpeakerRole.TEMOIGNAGE: _("Témoignage"),
    }
    return tuple(
        SpeakerView(s.name, s.function, s.organisation, s.role.value, labels.get(s.role, ""))
        for s in session.speakers
    )


def event_view(event: Event, language: str, timezone: str) -> EventView:
    """The event with its dates formatted for `language` in `timezone`."""

    def fmt(value: Any, kind: str) -> str:
        return format_date(value, kind, language, timezone) if value is not None else ""

    gettext = translations(language).gettext
    first = min((s.starts_at for s in event.sessions), default=event.starts_at)
    return EventView(
        title=event.title,
        subtitle=event.subtitle,
        paragraphs=paragraphs(event.description),
        date=fmt(event.starts_at, "long_date"),
        date_short=fmt(event.starts_at, "short_date"),
        starts=fmt(event.starts_at, "clock"),
        ends=fmt(event.ends_at, "clock"),
        welcome_at=fmt(first, "clock") if first < event.starts_at else "",
        closes=fmt(event.registration_closes_at, "deadline"),
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        map_url="https://www.openstreetmap.org/search?query=" + quote_plus(event.venue_address),
        sessions=tuple(
            SessionView(
                starts=fmt(s.starts_at, "clock"),
                ends=fmt(s.ends_at, "clock"),
                title=s.title,
                paragraphs=paragraphs(s.description),
                speakers=_speakers(s, gettext),
            )
            for s in event.sessions
        ),
        capacity=event.capacity,
        seats_free=event.seats_free,
        is_full=event.seats_free == 0,
    )


EMAIL_COLOUR = "#1b5e7a"  # Convier's own, when the organiser chose none


def organiser_view(event: Event, settings: Settings) -> OrganiserView:
    """The event's contact; the sender of the emails when the event names none."""
    sender_name, sender_email = parseaddr(settings.mail_from)
    phone = event.organiser_phone
    return OrganiserView(
        name=event.organiser_name or sender_name,
        email=event.organiser_email or sender_email,
        phone=phone,
        phone_uri="tel:" + "".join(c for c in phone if c.isdigit() or c == "+") if phone else "",
        colour=event.organiser_colour or EMAIL_COLOUR,
    )


def email_context(
    event: Event,
    *,
    settings: Settings,
    language: str,
    links: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The context of every email template for `event` in `language`; `links` maps a link name
    to its tag (`%%register%%`) or a real URL, and a link not given stays a tag; `extra`
    adds or overrides keys (note, access, resources_url…)."""
    language = language_of(language)
    context: dict[str, Any] = {
        "timezone": settings.timezone,
        "event": event_view(event, language, settings.timezone),
        "organiser": organiser_view(event, settings),
        "recipient": {name: Tag(name) for name in RECIPIENT_TAGS},
        "links": {name: _link(name, links.get(name)) for name in {*LINK_NAMES, *links}},
        **{name: Tag(name) for name in PERSONAL_TAGS},
        "ticket_cid": TICKET_CONTENT_ID,
        "note": "",
        "access": "",
        "resources_url": "",
    }
    words = dict(extra or {})
    context["lang_of"] = organiser_words(words, language)
    for key, value in words.items():
        if key.endswith("_url") and value:
            checked_url(key, value)
        context[key] = value
    return context


def organiser_words(extra: dict[str, Any], language: str) -> dict[str, str]:
    """Put in `extra`, in place, each of the organiser's words in `language` (the other
    language's when only that one is given; `<name>_en` keys are taken out), and return the
    language each is written in."""
    lang_of = {}
    for name in ORGANISER_WORDS:
        french, english = extra.get(name) or "", extra.pop(name + ENGLISH, "") or ""
        use_english = bool(english) and (language == "en" or not french)
        extra[name] = english if use_english else french
        lang_of[name] = "en" if use_english else "fr"
    return lang_of


def personal_values(
    email: str, first_name: str = "", last_name: str = "", language: str = "fr"
) -> dict[str, str]:
    """The values of the recipient tags; the greeting calls the person by their first name
    (else their name), or no one: « Bonjour, » — never by their address."""
    first = first_name.strip()
    name = " ".join(p for p in (first, last_name.strip()) if p)
    called = first or name
    gettext = translations(language).gettext
    greeting = gettext("Bonjour %(name)s,") % {"name": called} if called else gettext("Bonjour,")
    return {"first_name": called, "name": name, "email": email, "greeting": greeting}
