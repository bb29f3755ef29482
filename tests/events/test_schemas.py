"""The options of a 'choice' question in English: none, or one per French option in the same
order, and only on a 'choice' question; a refusal names `choices_en`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.events.schemas import QuestionIn, describe_errors
from tests.factories import event_spec

CHOICE = {"key": "structure", "label": "Vous venez au titre de", "kind": "choice",
          "choices": ["Collectivité", "Réseau", "Autre"]}  # fmt: skip


def refusal(question: dict[str, object]) -> list[str]:
    """The lines `convier event create` would print for an event asking `question`."""
    with pytest.raises(ValidationError) as refused:
        event_spec(questions=[question])
    return describe_errors(refused.value)


def test_english_options_are_kept_in_the_order_given():
    question = QuestionIn.model_validate(
        {**CHOICE, "choices_en": [" Local authority ", "Network", "Other"]}
    )
    assert question.choices_en == ["Local authority", "Network", "Other"]


def test_english_options_may_be_left_out():
    assert QuestionIn.model_validate(CHOICE).choices_en == []
    assert QuestionIn.model_validate({**CHOICE, "choices_en": []}).choices_en == []


@pytest.mark.parametrize(
    ("english", "counted"),
    [(["Local authority", "Network"], "(3 expected, 2 given)"),
     (["Local authority", "Network", "Other", "Researcher"], "(3 expected, 4 given)")],
)  # fmt: skip
def test_english_options_must_match_the_french_one_for_one(english, counted):
    assert refusal({**CHOICE, "choices_en": english}) == [
        f"questions.0.choices_en: give one English option per French option {counted}"
    ]


@pytest.mark.parametrize("kind", ["yes_no", "text"])
def test_only_a_choice_question_has_english_options(kind):
    question = {"key": "lunch", "label": "Déjeuner", "kind": kind, "choices_en": ["Yes"]}
    assert refusal(question) == ["questions.0.choices_en: only a 'choice' question has options"]


def test_english_options_are_one_line_each():
    lines = refusal({**CHOICE, "choices_en": ["Local\nauthority", "Network", "Other"]})
    assert [line.split(":", 1)[0] for line in lines] == ["questions.0.choices_en.0"]
