"""The event form of the back office: the fields are named by their path in an event's
description (`venue.name`, `programme.2.starts`), so that the form reads into the same shape as
a YAML file (`EventIn`) and each refusal lands on its field. The form's own buttons (add a
session, a speaker or a question; move a session up; remove one) rewrite the description and
show the form again: nothing is saved until the organiser saves, and no script is needed."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import gettext
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from service.events.schemas import EventIn

EMPTY_SESSION: dict[str, Any] = {"starts": "", "ends": "", "title": "", "description": "",
                                 "speakers": []}  # fmt: skip
EMPTY_SPEAKER = {"name": "", "function": "", "organisation": "", "role": "intervention"}
EMPTY_QUESTION = {"key": "", "label": "", "label_en": "", "kind": "yes_no", "choices": [],
                  "choices_en": [], "required": False}  # fmt: skip
MAX_ROWS = 200  # sessions, speakers of a session, questions: a bound on what a form may hold
OPERATION = re.compile(r"^(add|remove|up)-(session|speaker|question)(?:-(\d+))?(?:-(\d+))?$")


def blank_description() -> dict[str, Any]:
    """What a new event's form starts from."""
    return {
        "slug": "", "title": "", "subtitle": "", "description": "", "date": "", "starts": "",
        "ends": "", "venue": {"name": "", "address": ""}, "capacity": "",
        "registration": {"opens_at": None, "closes_at": None, "waitlist_policy": "offer",
                         "claim_window_hours": 48, "forwarding": "bound", "forward_limit": 3},
        "organiser": {"name": "", "email": None, "phone": "", "colour": ""},
        "programme": [], "questions": [],
    }  # fmt: skip


GROUPS = {
    "venue": ("name", "address"),
    "registration": ("opens_at", "closes_at", "waitlist_policy", "claim_window_hours",
                     "forwarding", "forward_limit"),
    "organiser": ("name", "email", "phone", "colour"),
}  # fmt: skip
TOP = ("slug", "title", "subtitle", "description", "date", "starts", "ends", "capacity")


def _rows(form: MultiDict[str, str], prefix: str) -> list[str]:
    """The prefixes (`programme.0.`, `programme.1.`…) of the numbered rows the form holds under
    `prefix`, in their order (at most MAX_ROWS)."""
    numbers = {
        int(name[len(prefix) :].split(".", 1)[0])
        for name in form
        if name.startswith(prefix) and name[len(prefix) :].split(".", 1)[0].isdecimal()
    }
    return [f"{prefix}{n}." for n in sorted(numbers)[:MAX_ROWS]]


def _fields(form: MultiDict[str, str], prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: form.get(prefix + name, "").strip() for name in names}


def _lines(form: MultiDict[str, str], name: str) -> list[str]:
    """The non-blank lines of a text area, one option each."""
    return [line.strip() for line in form.get(name, "").splitlines() if line.strip()]


def read_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The event description a submitted form holds, as the organiser typed it."""
    description: dict[str, Any] = _fields(form, "", TOP)
    for group, names in GROUPS.items():
        description[group] = _fields(form, f"{group}.", names)
    description["programme"] = [
        {
            **_fields(form, row, ("starts", "ends", "title", "description")),
            "speakers": [
                _fields(form, speaker, ("name", "function", "organisation", "role"))
                for speaker in _rows(form, f"{row}speakers.")
            ],
        }
        for row in _rows(form, "programme.")
    ]
    description["questions"] = [
        {
            **_fields(form, row, ("key", "label", "label_en", "kind")),
            "choices": _lines(form, f"{row}choices"),
            "choices_en": _lines(form, f"{row}choices_en"),
            "required": form.get(f"{row}required") == "on",
        }
        for row in _rows(form, "questions.")
    ]
    return description


def apply_operation(description: dict[str, Any], operation: str) -> bool:
    """Carry out one of the form's own buttons (`add-session`, `remove-speaker-2-0`,
    `up-session-3`…) on the description; False when it names none."""
    match = OPERATION.match(operation)
    if match is None:
        return False
    verb, thing, first, second = match.groups()
    i = int(first) if first is not None else None
    rows: list[Any] = (
        description["questions"] if thing == "question"
        else description["programme"][i]["speakers"] if thing == "speaker" and i is not None
        and i < len(description["programme"])
        else description["programme"]
    )  # fmt: skip
    index = int(second) if thing == "speaker" and second is not None else i
    if verb == "add" and len(rows) < MAX_ROWS:
        empty = {"session": EMPTY_SESSION, "speaker": EMPTY_SPEAKER, "question": EMPTY_QUESTION}
        rows.append({**empty[thing], "speakers": []} if thing == "session" else dict(empty[thing]))
    elif index is not None and 0 <= index < len(rows):
        if verb == "remove":
            del rows[index]
        elif verb == "up" and index > 0:
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
    return True


def _ascii_words(text: str, separator: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", separator, plain).strip(separator)


def fill_derived(description: dict[str, Any]) -> None:
    """Fill what the organiser may leave out: the slug from the title and the year, each
    question's key from its label (kept when the question had one)."""
    if not description.get("slug"):
        year = str(description.get("date", ""))[:4]
        words = _ascii_words(str(description.get("title", "")), "-")[:100] or "rencontre"
        description["slug"] = f"{words}-{year}" if year.isdigit() else words
    keys: set[str] = set()
    for question in description["questions"]:
        key = question.get("key") or _ascii_words(question.get("label", ""), "_")[:40] or "q"
        if not key[0].isalpha():
            key = f"q_{key}"
        base, n = key, 2
        while key in keys:
            key, n = f"{base}_{n}", n + 1
        question["key"] = key
        keys.add(key)
    for field in ("email",):
        if not description["organiser"].get(field):
            description["organiser"][field] = None
    for field in ("opens_at", "closes_at"):
        if not description["registration"].get(field):
            description["registration"][field] = None
    for item in description["programme"]:
        if not item.get("ends"):
            item["ends"] = None


# What the organiser reads for each kind of refusal; pydantic's own words otherwise.
def _reason(error: Any) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "value_error" and error["loc"][-1:] in (("starts",), ("ends",)):
        return gettext("Une heure, par exemple 14:30.")  # parse_clock's refusals
    if kind == "value_error" and error["loc"][-1:] == ("colour",):
        if "too light" in str(error["msg"]):
            return gettext("Trop claire : le texte blanc ne s'y lirait pas.")
        return gettext("Une couleur comme #0b5cad.")
    known = {
        "missing": gettext("À remplir."),
        "string_too_short": gettext("À remplir."),
        "int_parsing": gettext("Un nombre entier, sans espace."),
        "greater_than_equal": gettext("Au moins %(n)s.", n=context.get("ge")),
        "less_than_equal": gettext("Au plus %(n)s.", n=context.get("le")),
        "date_from_datetime_parsing": gettext("Une date, par exemple 2027-07-05."),
        "date_parsing": gettext("Une date, par exemple 2027-07-05."),
        "datetime_parsing": gettext("Une date et une heure."),
        "datetime_from_date_parsing": gettext("Une date et une heure."),
        "value_error": str(error["msg"]).removeprefix("Value error, "),
        "string_pattern_mismatch": gettext(
            "Seulement des lettres sans accent, des chiffres et des tirets."
        ),
        "string_too_long": gettext("Trop long."),
        "choices_en_count": gettext(
            "Autant d'options en anglais qu'en français, dans le même ordre (en français : "
            "%(expected)s ; en anglais : %(given)s).",
            expected=context.get("expected"),
            given=context.get("given"),
        ),
        "choices_en_without_choice": gettext(
            "Seule une question à réponse « choix » a des options : videz ce champ ou changez "
            "la réponse attendue."
        ),
    }
    return known.get(kind, str(error["msg"]))


WHOLE_FORM_FIELD = {  # the model-level checks of EventIn name their field in their message
    "ends": "ends", "questions": "questions", "registration.closes_at": "registration.closes_at",
}  # fmt: skip


def form_errors(error: ValidationError) -> dict[str, str]:
    """Each refused field's name in the form, and why, in the page's language."""
    errors: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        reason = _reason(item)
        if not name:
            prefix, _, rest = reason.partition(": ")
            name, reason = WHOLE_FORM_FIELD.get(prefix, ""), rest or reason
            if prefix == "ends":
                reason = gettext("La fin doit venir après le début.")
        errors.setdefault(name or "form", reason)
    return errors


def validate(description: dict[str, Any]) -> tuple[EventIn | None, dict[str, str]]:
    """The description checked as an event, or the form's errors."""
    fill_derived(description)
    try:
        return EventIn.model_validate(description), {}
    except ValidationError as error:
        return None, form_errors(error)
