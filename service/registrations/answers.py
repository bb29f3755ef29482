"""The answers given to an event's registration questions: checking them, saying them back in
the person's language, changing them while the seat (or the place in line) is kept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.events.models import Event, Question, QuestionKind
from service.formatting import choice_in, question_in
from service.mail.render import translations
from service.registrations.errors import InvalidAnswers, WrongState
from service.registrations.models import Registration, RegistrationStatus
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


# Whose answers may change: the seat (or the place in line) stays as it is.
CHANGEABLE = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.OFFERED,
    RegistrationStatus.WAITLISTED,
)


def change_answers(
    session: Session, event: Event, invitation_id: int, raw: Mapping[str, Any]
) -> dict[str, Any]:
    """Replace the answers of the invitation's registration, nothing else of it; InvalidAnswers
    names each bad one, WrongState when the person neither holds a seat nor waits for one."""
    answers = clean_answers(event, raw)
    written = session.execute(
        update(Registration)
        .where(Registration.invitation_id == invitation_id, Registration.status.in_(CHANGEABLE))
        .values(answers=answers)
    )
    if written.rowcount != 1:  # type: ignore[attr-defined]
        raise WrongState("only a registration holding or awaiting a seat has answers to change")
    return answers


def _said(question: Question, value: Any, language: str) -> str:
    gettext = translations(language).gettext
    if question.kind is QuestionKind.YES_NO:
        return gettext("oui") if value else gettext("non")
    if value in (None, ""):
        return "—"
    return choice_in(question, value, language) if question.kind is QuestionKind.CHOICE else value


def answer_lines(event: Event, answers: Mapping[str, Any], language: str) -> list[tuple[str, str]]:
    """Each question of the event with the person's answer, in `language`."""
    return [
        (question_in(question, language), _said(question, answers.get(question.key), language))
        for question in event.questions
    ]


def answers_text(
    event: Event, person: Mapping[str, str], answers: Mapping[str, Any], language: str
) -> str:
    """The person's name, organisation and answers, one « label : value » per line (emails)."""
    gettext = translations(language).gettext
    lines = [(gettext("Nom"), person["name"] or "—")]
    if person["organisation"]:
        lines.append((gettext("Structure"), person["organisation"]))
    return "\n".join(
        gettext("%(question)s : %(answer)s") % {"question": label, "answer": value}
        for label, value in [*lines, *answer_lines(event, answers, language)]
    )
