"""An option of a 'choice' question in the page's (or an email's) language: English when asked
for and the organiser gave it, the French option as stored otherwise."""

from __future__ import annotations

import pytest

from service.events.models import Question, QuestionKind
from service.formatting import choice_in, choice_label


def question(choices_en: list[str]) -> Question:
    return Question(key="structure", label="Vous venez au titre de", kind=QuestionKind.CHOICE,
                    choices=["Collectivité", "Réseau", "Autre"], choices_en=choices_en)  # fmt: skip


TRANSLATED = question(["Local authority", "Network", "Other"])


@pytest.mark.parametrize(
    ("choice", "english"),
    [("Collectivité", "Local authority"), ("Réseau", "Network"), ("Autre", "Other")],
)
def test_an_english_page_shows_the_english_option(app, choice, english):
    with app.test_request_context("/?lang=en"):
        assert choice_label(TRANSLATED, choice) == english


def test_a_french_page_shows_the_french_option(app):
    with app.test_request_context("/?lang=fr"):
        assert choice_label(TRANSLATED, "Réseau") == "Réseau"


@pytest.mark.parametrize(
    ("asked", "choice"),
    [
        (question([]), "Réseau"),  # no English options
        (question(["Local authority", "", "Other"]), "Réseau"),  # none for this one
        (TRANSLATED, "Chercheur"),  # an answer to options since changed
    ],
)
def test_an_english_page_falls_back_to_the_french(app, asked, choice):
    with app.test_request_context("/?lang=en"):
        assert choice_label(asked, choice) == choice


def test_templates_have_the_filter(app):
    with app.test_request_context("/?lang=en"):
        template = app.jinja_env.from_string("{{ question|choice_label('Autre') }}")
        assert template.render(question=TRANSLATED) == "Other"


def test_an_email_asks_for_its_recipients_language_outside_any_request():
    assert choice_in(TRANSLATED, "Réseau", "en") == "Network"
    assert choice_in(TRANSLATED, "Réseau", "fr") == "Réseau"
