"""The English catalogue: complete and in step with the sources, its placeholders the same as the
French ones; and the pages in the language the person asks for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.registrations.test_pages import (
    Page,
    invitations_in_every_state,
    refused_tokens,
    show,
)

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "service" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# `%(name)s` as Jinja's {% trans %} and Python's gettext write them, and a literal `%%`.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%%|%[sdifr]")


def extracted() -> Catalog:
    """The messages of the sources, extracted as `pybabel extract -F babel.cfg` (see it) does."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog(locale="fr")
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def english() -> Catalog:
    """The English catalogue as committed."""
    with ENGLISH.open("rb") as po_file:
        return read_po(po_file, locale="en")


def _strings(message: Message) -> list[str]:
    value = message.string
    return list(value) if isinstance(value, tuple | list) else [value or ""]


def _ids(message: Message) -> list[str]:
    value = message.id
    return list(value) if isinstance(value, tuple | list) else [value]


# --- the catalogue -------------------------------------------------------------------------------


def test_extraction_finds_the_messages_of_templates_and_python():
    sources = {location[0] for message in extracted() for location in message.locations}
    assert "service/formatting.py" in sources
    assert "service/templates/base.html" in sources
    assert "service/templates/public/invitation.html" in sources
    assert len(extracted()) > 50


def test_every_message_has_a_non_fuzzy_english_translation():
    catalog = english()
    assert not catalog.fuzzy, (
        "the header of the English catalogue is fuzzy: pybabel compile would skip it all"
    )
    problems = []
    for message in extracted():
        if not message.id:
            continue
        translated = catalog.get(message.id, context=message.context)
        if translated is None:
            problems.append(f"missing: {message.id!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(s.strip() for s in _strings(translated)):
            problems.append(f"empty: {message.id!r}")
    assert not problems, (
        "update the English catalogue (pybabel extract …, then pybabel update -i "
        "service/translations/messages.pot -d service/translations) and translate:\n"
        + "\n".join(problems)
    )


def test_the_catalogue_holds_no_message_the_sources_have_dropped():
    current = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in extracted() if m.id}
    stale = [
        m.id
        for m in english()
        if m.id and ((m.id if isinstance(m.id, str) else m.id[0]), m.context) not in current
    ]
    assert not stale, f"messages no longer in the sources (run pybabel update): {stale}"


def test_placeholders_are_the_same_in_french_and_english():
    catalog = english()
    problems = []
    for message in catalog:
        if not message.id:
            continue
        wanted = sorted(PLACEHOLDER.findall(_ids(message)[0]))
        for string in _strings(message):
            found = sorted(PLACEHOLDER.findall(string))
            if found != wanted:
                problems.append(f"{message.id!r}: {wanted} in French, {found} in English")
        if wanted and "python-format" not in message.flags:
            problems.append(f"{message.id!r}: has placeholders but no python-format flag")
    # Babel's own checkers (python-format compatibility, plural forms).
    for message, errors in catalog.check():
        problems.extend(f"{message.id!r}: {error}" for error in errors)
    assert not problems, "\n".join(problems)


def test_the_compiled_english_catalogue_translates_a_message():
    from babel.support import Translations

    translations = Translations.load(str(ROOT / "service" / "translations"), ["en"])
    assert translations.gettext("S'inscrire") == "Register"


# --- the language of the page --------------------------------------------------------------------


@pytest.fixture
def token(factory: Any) -> str:
    """The link of a fresh invitation to an event with questions."""
    from tests.registrations.test_pages import QUESTIONS, new_invitee

    event_id = factory.event(title="Rencontre de test", questions=QUESTIONS)
    return new_invitee(factory, event_id, "claire@example.org", "Claire Martin")[1]


ENGLISH_PAGE = (
    "Your reply",
    "First name",
    "Last name",
    "Organisation",
    "Register",
    "I won’t be able to attend",
)
FRENCH_PAGE = (
    "Votre réponse",
    "Prénom",
    "Nom",
    "Structure",
    "S’inscrire",
    "Je ne pourrai pas venir",
)


@pytest.mark.parametrize(
    ("query", "headers", "lang"),
    [
        ("?lang=en", {}, "en"),
        ("", {"Accept-Language": "en-GB,en;q=0.9"}, "en"),
        ("", {"Accept-Language": "en-US,en;q=0.8,fr;q=0.5"}, "en"),
        ("", {}, "fr"),
        ("", {"Accept-Language": "fr-FR"}, "fr"),
        ("", {"Accept-Language": "de-DE,de;q=0.9"}, "fr"),
        ("?lang=fr", {"Accept-Language": "en-GB,en;q=0.9"}, "fr"),
        ("?lang=de", {"Accept-Language": "en-GB,en;q=0.9"}, "en"),
    ],
)
def test_the_page_speaks_the_language_asked_for(client, token, query, headers, lang):
    status, page, _ = show(client, f"{token}{query}", **headers)
    assert status == 200
    assert page.lang == lang
    shown, hidden = (ENGLISH_PAGE, FRENCH_PAGE) if lang == "en" else (FRENCH_PAGE, ENGLISH_PAGE)
    for words in shown:
        assert words in page.text, words
    for words in hidden:
        assert words not in page.text, words
    # The form keeps the language through the POST.
    (form,) = [a for a in page.find("form") if a["action"].split("?")[0].endswith("/register")]
    assert form["action"].endswith("?lang=en") == (query == "?lang=en")


def _french_fragments() -> set[str]:
    """Pieces of every French message whose English differs, long enough to be telling."""
    fragments = set()
    for message in english():
        if not message.id or message.id == message.string:
            continue
        for piece in PLACEHOLDER.split(_ids(message)[0]):
            piece = " ".join(piece.split()).strip(" .,:;?!«»")
            if len(piece) >= 4:
                fragments.add(piece)
    return fragments


def test_every_english_page_is_wholly_english(db, factory, client):
    """Every state, refused links and errors: outside the organiser's own (French, lang="fr")
    content, the English page holds no French message."""
    states = invitations_in_every_state(db, factory)
    refused = refused_tokens(db, factory, states)
    fragments = _french_fragments()
    assert "Votre réponse" in fragments
    pages = {}
    for name, token in {**states.tokens, **refused}.items():
        pages[name] = client.get(f"/r/{token}?lang=en", headers={"Accept-Language": "fr-FR"})
    fresh = states.tokens["fresh"]
    csrf = Page(pages["fresh"].get_data(as_text=True)).csrf()
    pages["invalid answers"] = client.post(
        f"/r/{fresh}/register?lang=en", data={"csrf_token": csrf}
    )
    pages["no csrf"] = client.post(f"/r/{fresh}/register?lang=en", data={})
    pages["closed, posted"] = client.post(
        f"/r/{states.tokens['closed']}/register?lang=en", data={"csrf_token": csrf}
    )
    pages["home"] = client.get("/?lang=en")
    pages["not found"] = client.get("/nowhere?lang=en")
    assert {r.status_code for r in pages.values()} == {200, 400, 404, 409, 410, 422}

    for name, response in pages.items():
        html = response.get_data(as_text=True)
        page = Page(html, skip_lang="fr")
        assert page.lang == "en", name
        french = sorted(f for f in fragments if f in page.text)
        assert not french, f"{name}: French left on the English page: {french}\n{page.text}"
        # Dates and times are English too.
        assert not re.search(r"\b\d{1,2}h\d{2}\b", page.text), name
        for day in (
            "lundi",
            "mardi",
            "mercredi",
            "jeudi",
            "vendredi",
            "samedi",
            "dimanche",
            "juillet",
            "août",
        ):
            assert day not in page.text.lower(), (name, day)

    offered = Page(pages["offered"].get_data(as_text=True), skip_lang="fr").text
    assert re.search(
        r"It is held for you until \w+day \d{1,2} \w+ \d{4} at \d{1,2}:\d{2}\s?[AP]M\.", offered
    )
    confirmed = Page(pages["confirmed"].get_data(as_text=True), skip_lang="fr").text
    assert re.search(r"\w+day \d{1,2} \w+ \d{4}, from 2:30\sPM to 5:30\sPM", confirmed), confirmed
    assert "Claire Martin, your registration is confirmed." in confirmed
    assert "Add to my calendar (.ics)" in confirmed
    waitlisted = Page(pages["waitlisted_1"].get_data(as_text=True)).text
    assert "The event is full: you are on the waiting list, in position 1." in waitlisted


def test_french_pages_hold_no_english_message(db, factory, client):
    states = invitations_in_every_state(db, factory)
    english_only = {
        m.string
        for m in english()
        if m.id and isinstance(m.string, str) and m.string != m.id and len(m.string) > 6
    }
    for name, token in states.tokens.items():
        page = Page(client.get(f"/r/{token}").get_data(as_text=True))
        assert page.lang == "fr"
        leaked = sorted(s for s in english_only if "%(" not in s and s in page.text)
        assert not leaked, (name, leaked)
