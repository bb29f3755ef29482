"""The registrations table as a file to open in a spreadsheet: the rows the page shows (its
search, filters and order), headers and states in the page's language, one readable column per
question; CSV for French Excel (`;`, UTF-8 with a BOM) or XLSX."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy.orm import Session

from contacts.exports import write_csv, write_xlsx
from service.events.models import Event, Question, QuestionKind
from service.formatting import choice_label, question_label
from service.manage.labels import status_label
from service.manage.queries import RegistrationLine, TableQuery, registration_table
from service.registrations.models import RegistrationStatus


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _answer(question: Question, value: Any) -> str:
    if isinstance(value, bool):
        return gettext("oui") if value else gettext("non")
    if value is None:
        return ""
    return choice_label(question, value) if question.kind is QuestionKind.CHOICE else str(value)


def _columns(event: Event, tz: ZoneInfo) -> dict[str, Callable[[RegistrationLine], str]]:
    """Each column's header, in the page's language, and how a row fills it."""
    columns: dict[str, Callable[[RegistrationLine], str]] = {
        gettext("Nom"): lambda line: line.last_name,
        gettext("Prénom"): lambda line: line.first_name,
        gettext("Organisation"): lambda line: line.organisation,
        gettext("Adresse email"): lambda line: line.email,
        gettext("État"): lambda line: status_label(line.status),
        gettext("Inscrit le"): lambda line: _when(line.created_at, tz),
        gettext("N° d'attente"): lambda line: (
            str(line.waitlist_position) if line.status is RegistrationStatus.WAITLISTED else ""
        ),
        gettext("Réponse attendue avant"): lambda line: _when(line.offer_expires_at, tz),
    }
    for question in event.questions:
        columns[question_label(question)] = _answer_of(question)
    return columns


def _answer_of(question: Question) -> Callable[[RegistrationLine], str]:
    return lambda line: _answer(question, line.answers.get(question.key))


def registrations_file(
    session: Session, event: Event, asked: TableQuery, tz: ZoneInfo, fmt: str
) -> bytes:
    """The registrations matching `asked`, as a CSV (`fmt` "csv") or XLSX file."""
    columns = _columns(event, tz)
    lines, _ = registration_table(session, event.id, asked, limit=None)
    rows = ({header: fill(line) for header, fill in columns.items()} for line in lines)
    buffer = io.BytesIO()
    if fmt == "xlsx":
        write_xlsx(rows, list(columns), buffer, sheet_title=event.title)
    else:
        write_csv(rows, list(columns), buffer, delimiter=";")
    return buffer.getvalue()
