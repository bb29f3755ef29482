"""French typography, set in one place (service/typography.py): what it does to a message, and
that the pages and the emails in French come out with it while English and the organisers' own
words are left alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.mail.render import translations
from service.typography import typeset

NBSP, NNBSP = "\u00a0", "\u202f"


def test_a_message_is_typeset_as_french_is_printed():
    assert typeset("Vous ne pourrez pas venir ? Dites-le-nous : « merci » ; c'est tout !") == (
        f"Vous ne pourrez pas venir{NNBSP}? Dites-le-nous{NBSP}: «{NBSP}merci{NBSP}»{NNBSP}; "
        f"c’est tout{NNBSP}!"
    )


def test_what_is_not_prose_is_left_alone():
    for text in ("https://example.org/r/abc?lang=en", "14:30", "v=DMARC1; p=none", "%(name)s'"):
        assert typeset(text) == text


FRENCH = st.text(alphabet="abcé ':;!?«»'", max_size=40)


def _plain(text: str) -> str:
    return text.replace("’", "'").replace(NBSP, " ").replace(NNBSP, " ")


@given(FRENCH)
def test_typesetting_changes_only_apostrophes_and_spaces_and_once(text):
    done = typeset(text)
    assert _plain(done) == _plain(text)
    assert typeset(done) == done


def test_the_email_catalogues_typeset_french_and_translate_english():
    assert translations("fr").gettext("J'accepte la place") == "J’accepte la place"
    assert translations("en").gettext("J'accepte la place") == "Accept the place"
    # A message not translated yet comes out as typeset French in English too, never broken.
    assert translations("en").gettext("Pas encore traduit : l'exemple") == (
        f"Pas encore traduit{NBSP}: l’exemple"
    )


def test_french_pages_are_typeset_english_ones_and_organisers_words_are_not(db, factory, client):
    event_id = factory.event(title="L'ESS en région : quel avenir ?")
    (person,) = factory.invitees(event_id, 1)
    french = client.get(f"/r/{person.token}").text
    assert "S’inscrire" in french
    assert f"Vous ne pourrez pas être des nôtres{NNBSP}? Dites-le-nous{NBSP}:" in french
    assert "L&#39;ESS en région : quel avenir ?" in french  # as the organiser wrote it
    english = client.get(f"/r/{person.token}?lang=en").text
    assert "Register" in english
    assert NNBSP not in english.replace("nôtres" + NNBSP, "")
