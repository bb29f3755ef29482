"""Partner report links from the back office: created and revoked per network list, through the
same service as `convier report`, then back to the list's page at the event, where the partial
`manage/_report_links.html` lists them."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from service.accounts.roles import Can
from service.accounts.web import actor, requires
from service.errors import Invalid
from service.extensions import get_db, get_settings
from service.formatting import deadline
from service.manage.routes import manage
from service.tracking import report_links

ANCHOR = "report-links"  # the partial's section on the list's page


def _list_page(event_id: int, list_id: int, **query: Any) -> Response:
    return redirect(
        url_for("manage.event_list", event_id=event_id, list_id=list_id, _anchor=ANCHOR, **query)
    )


@manage.post("/events/<int:event_id>/lists/<int:list_id>/report-links")
@requires(Can.CHANGE_EVENTS)
def create_report_link(event_id: int, list_id: int) -> Response:
    """Create a report link valid `days` days; the list's page then shows it, ready to copy. A
    wrong `days` comes back to the form, marked (`report_link_error=days`), nothing created."""
    try:
        with get_db().transaction() as session:
            link, _url = report_links.create(
                session, get_settings(), event_id, list_id, request.form.get("days", ""), actor()
            )
            link_id, expires_at = link.id, link.expires_at
    except Invalid:
        return _list_page(event_id, list_id, report_link_error="days")
    flash(
        gettext(
            "Le lien de rapport est créé ; il est valable jusqu'au %(until)s. Copiez-le pour "
            "l'envoyer au réseau.",
            until=deadline(expires_at),
        )
    )
    return _list_page(event_id, list_id, report_link=link_id)


@manage.post("/events/<int:event_id>/report-links/<int:link_id>/revoke")
@requires(Can.CHANGE_EVENTS)
def revoke_report_link(event_id: int, link_id: int) -> Response:
    """Revoke a report link of the event: from now on it opens no figures."""
    with get_db().transaction() as session:
        list_id = report_links.revoke(session, link_id, actor(), event_id=event_id).list_id
    flash(
        gettext(
            "Le lien de rapport n° %(id)s est révoqué : il n'ouvre plus le rapport.", id=link_id
        )
    )
    return _list_page(event_id, list_id)
