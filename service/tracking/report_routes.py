"""The page a partner network opens from its report link: its own list's aggregate figures at one
event, and the same figures as a CSV file. The token in the URL is the only credential; reading
changes nothing."""

from __future__ import annotations

import io

from flask import Blueprint, Response, make_response, render_template
from flask_babel import (
    format_datetime,
    format_decimal,
    format_number,
    format_percent,
    get_locale,
    gettext,
    lazy_gettext,
)

from contacts.exports import write_csv
from service.db import utcnow
from service.extensions import get_db, get_settings
from service.headers import TOKEN_PAGES
from service.tracking import report_links
from service.tracking.report_links import ListReport, ReportLinkRefused

reports = Blueprint("reports", __name__)

# The figures a partner sees, in this order; a person's name or address is never among them.
FIGURES = {
    "invited": lazy_gettext("Personnes invitées"),
    "sent": lazy_gettext("Invitations envoyées"),
    "delivered": lazy_gettext("Invitations remises"),
    "bounced": lazy_gettext("Adresses en erreur"),
    "opened": lazy_gettext("Ont ouvert l'invitation"),
    "clicked": lazy_gettext("Ont cliqué sur un lien"),
    "registered": lazy_gettext("Inscrites"),
    "declined": lazy_gettext("Ont décliné"),
    "replied": lazy_gettext("Ont répondu par email"),
    "unsubscribed": lazy_gettext("Se sont désabonnées"),
}


@reports.after_request
def _token_page_headers(response: Response) -> Response:
    # The token in the URL is the partner's credential: never sent on, cached or indexed.
    response.headers.update(TOKEN_PAGES)
    return response


def _percent(rate: float) -> str:
    """The rate as the page's language writes a percentage, to one decimal ("12,5 %")."""
    locale = get_locale()
    pattern = locale.percent_formats[None].pattern if locale else "#,##0%"
    return format_percent(rate, pattern.replace("0", "0.#", 1))


def _open(list_id: int, token: str) -> ListReport:
    with get_db().transaction(write=False) as session:
        link = report_links.read(session, get_settings(), token, list_id)
        return report_links.report(session, link)


def _refused(refusal: ReportLinkRefused) -> tuple[str, int]:
    return render_template("report/refused.html", problem=refusal.problem), refusal.status


@reports.get("/report/<int:list_id>/<token>")
def report(list_id: int, token: str) -> str | tuple[str, int]:
    """The list's funnel at the event: counts and the response rate, nothing personal."""
    try:
        shown = _open(list_id, token)
    except ReportLinkRefused as refusal:
        return _refused(refusal)
    funnel = shown.funnel
    return render_template(
        "report/list_report.html",
        shown=shown,
        figures=[(label, format_number(getattr(funnel, name))) for name, label in FIGURES.items()],
        rate=_percent(funnel.response_rate),
        now=utcnow(),
        list_id=list_id,
        token=token,
    )


@reports.get("/report/<int:list_id>/<token>.csv")
def report_csv(list_id: int, token: str) -> Response | tuple[str, int]:
    """The same figures as a CSV file for French Excel (`;`, UTF-8 with a BOM), headers in the
    page's language."""
    try:
        shown = _open(list_id, token)
    except ReportLinkRefused as refusal:
        return _refused(refusal)
    funnel = shown.funnel
    row: dict[str, object] = {
        gettext("Événement"): shown.event.title,
        gettext("Liste"): shown.list_name,
        **{str(label): getattr(funnel, name) for name, label in FIGURES.items()},
        # Written as the page's language writes numbers ("22,2" in French), which its Excel reads.
        gettext("Taux de réponse (%)"): format_decimal(round(funnel.response_rate * 100, 1)),
        gettext("Chiffres au"): format_datetime(utcnow(), "y-MM-dd HH:mm"),
    }
    buffer = io.BytesIO()
    write_csv([row], list(row), buffer, delimiter=";")
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    filename = f"rapport-{shown.event.slug}-liste-{list_id}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
