"""Checking the answers given to an event's registration questions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.events.models import Event, QuestionKind
from service.registrations.errors import InvalidAnswers
from service.text import PROSE_CONTROLS

YES = frozenset({"yes", "oui", "true", "on", "1"})
NO = frozenset({"no", "non", "false", "off", "0"})
MAX_TEXT = 1000


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def clean_answers(event: Event, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to keep, keyed by question; InvalidAnswers names each bad one."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in event.questions:
        value = raw.get(question.key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if question.required:
                errors[question.key] = "required"
            elif question.kind is QuestionKind.YES_NO:
                answers[question.key] = False  # an unticked box sends nothing
            continue
        if question.kind is QuestionKind.YES_NO:
            flag = _yes_no(value)
            if flag is None:
                errors[question.key] = "expected yes or no"
            else:
                answers[question.key] = flag
        elif question.kind is QuestionKind.CHOICE:
            if str(value) not in [str(c) for c in question.choices]:
                errors[question.key] = f"expected one of {', '.join(map(str, question.choices))}"
            else:
                answers[question.key] = str(value)
        else:
            text = PROSE_CONTROLS.sub("", str(value)).strip()
            if len(text) > MAX_TEXT:
                errors[question.key] = f"at most {MAX_TEXT} characters"
            else:
                answers[question.key] = text
    if errors:
        raise InvalidAnswers(errors)
    return answers
