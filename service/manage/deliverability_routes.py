"""The deliverability panel: bounces, spam reports and unsubscribes per campaign, and the checks
of the sender domain (SPF, DKIM, DMARC)."""

from __future__ import annotations

from flask import Response, render_template
from flask_babel import gettext
from sqlalchemy.orm import Session

from service.accounts.roles import Can
from service.accounts.web import requires
from service.events.services import get_event
from service.extensions import get_db, get_settings
from service.manage.deliverability_export import deliverability_table
from service.manage.deliverability_labels import FILTERS
from service.manage.routes import SPREADSHEETS, manage, spreadsheet
from service.sending import domain_checks
from service.tracking import snapshots
from service.tracking.deliverability import Line, by_campaign, total

# Registered with the pages' blueprint, on every app it joins: the composer's checks use them too.
for _name, _filter in FILTERS.items():
    manage.add_app_template_filter(_filter, _name)


def _lines(session: Session, event_id: int) -> list[Line]:
    """The panel's lines, kept while the event's figures stand still (they read its every
    email and report)."""
    return snapshots.kept(
        session, "deliverability", event_id, lambda: by_campaign(session, event_id)
    )


@manage.get("/events/<int:event_id>/deliverability")
@requires(Can.SEE_STATS)
def deliverability(event_id: int) -> str:
    """What became of the event's emails, per campaign, with the reasons; then the sender
    domain's SPF, DKIM and DMARC."""
    # Asked before the transaction: no connection is held while DNS answers.
    report = domain_checks.of_sender(get_settings())
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        lines = _lines(session, event_id)
    return render_template(
        "manage/deliverability.html", event=event, lines=lines,
        total=total(lines), sender_domain=report, formats=list(SPREADSHEETS),
    )  # fmt: skip


@manage.get("/events/<int:event_id>/deliverability.<any(csv, xlsx):fmt>")
@requires(Can.EXPORT)
def deliverability_export(event_id: int, fmt: str) -> Response:
    """The figures of the deliverability panel as a file for a spreadsheet."""
    with get_db().transaction(write=False) as session:
        event = get_event(session, event_id)
        lines = _lines(session, event_id)
    table = deliverability_table(lines, total(lines), event.title)
    return spreadsheet(table.file(fmt), f"{event.slug}-{gettext('delivrabilite')}", fmt)
