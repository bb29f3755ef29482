"""How the replies inbox names kinds, states and orders in the page's language, and its replies
as a file to open in a spreadsheet (the same filters as the page, every page of them)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from flask_babel import gettext, lazy_gettext

from contacts.exports import write_csv, write_xlsx
from service.tracking.inbox import Order, ReplyLine, State
from service.tracking.models import ReplyKind

TAB_LABELS = {
    ReplyKind.HUMAN: lazy_gettext("Réponses des personnes"),
    ReplyKind.AUTOMATIC: lazy_gettext("Réponses automatiques"),
    ReplyKind.BOUNCE: lazy_gettext("Avis de non-remise"),
}
KIND_LABELS = {
    ReplyKind.HUMAN: lazy_gettext("réponse d'une personne"),
    ReplyKind.AUTOMATIC: lazy_gettext("réponse automatique"),
    ReplyKind.BOUNCE: lazy_gettext("avis de non-remise"),
}
STATE_LABELS = {
    State.OPEN: lazy_gettext("À traiter"),
    State.HANDLED: lazy_gettext("Traitées"),
    State.ALL: lazy_gettext("Toutes"),
}
ORDER_LABELS = {
    Order.OLDEST: lazy_gettext("Les plus anciennes d'abord"),
    Order.NEWEST: lazy_gettext("Les plus récentes d'abord"),
}


def _columns(tz: ZoneInfo) -> dict[str, Callable[[ReplyLine], str]]:
    """Each column's header, in the page's language, and how a reply fills it."""
    return {
        gettext("N°"): lambda line: str(line.id),
        gettext("Reçue le"): lambda line: line.received_at.astimezone(tz).strftime(
            "%Y-%m-%d %H:%M"
        ),
        gettext("Sorte"): lambda line: str(KIND_LABELS[line.kind]),
        gettext("État"): lambda line: gettext("traitée") if line.handled else gettext("à traiter"),
        gettext("De"): lambda line: line.sender,
        gettext("Objet"): lambda line: line.subject,
        gettext("Personne invitée"): lambda line: line.name,
        gettext("Organisation"): lambda line: line.organisation or "",
        gettext("Événement"): lambda line: line.event_title or "",
        gettext("Texte"): lambda line: line.text,
    }


def replies_file(lines: Iterable[ReplyLine], tz: ZoneInfo, fmt: str) -> bytes:
    """The replies as a CSV (`fmt` "csv": `;` and a BOM, for French Excel) or XLSX file."""
    columns = _columns(tz)
    rows = ({header: fill(line) for header, fill in columns.items()} for line in lines)
    buffer = io.BytesIO()
    if fmt == "xlsx":
        write_xlsx(rows, list(columns), buffer, sheet_title=gettext("Réponses"))
    else:
        write_csv(rows, list(columns), buffer, delimiter=";")
    return buffer.getvalue()
