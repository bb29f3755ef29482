"""An event's rules from the back office (campaigns that start by themselves: follow-up, last
call, reminder, practical information…): add one, remove one not yet started, or add the usual
ones, through the same services as `convier campaign rule …`."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from service.accounts.roles import Can
from service.accounts.web import actor, requires
from service.audit.services import record
from service.campaigns import rules
from service.errors import Conflict, Invalid
from service.extensions import get_db
from service.manage.campaign_form import read_rule
from service.manage.campaign_routes import event_campaigns_page
from service.manage.routes import manage


def _back(event_id: int) -> Response:
    return redirect(url_for("manage.campaigns_of_event", event_id=event_id) + "#rules")


@manage.post("/events/<int:event_id>/rules")
@requires(Can.CHANGE_EVENTS)
def add_campaign_rule(event_id: int) -> Response | tuple[str, int]:
    """Add a rule to the event."""
    asked, errors = read_rule(request.form)
    if asked is None:
        return event_campaigns_page(event_id, errors)
    kind, anchor, offset = asked
    try:
        with get_db().transaction() as session:
            rule = rules.add_rule(session, event_id, kind, anchor, offset)
            record(session, actor(), "campaign_rule.added", event_id, rule.kind.value,
                   offset_hours=rule.offset_hours, anchor=rule.anchor.value)  # fmt: skip
    except Invalid:
        return event_campaigns_page(event_id, {"kind": gettext("Cet envoi n'est pas possible.")})
    flash(gettext("L'envoi automatique est ajouté."))
    return _back(event_id)


@manage.post("/events/<int:event_id>/rules/defaults")
@requires(Can.CHANGE_EVENTS)
def default_campaign_rules(event_id: int) -> Response:
    """Add the usual follow-up, last call, reminder and practical information."""
    with get_db().transaction() as session:
        added = rules.add_defaults(session, event_id)
        record(session, actor(), "campaign_rule.defaults", event_id, "",
               kinds=[rule.kind.value for rule in added])  # fmt: skip
    flash(gettext("Les envois automatiques habituels sont ajoutés."))
    return _back(event_id)


@manage.post("/events/<int:event_id>/rules/<int:rule_id>/remove")
@requires(Can.CHANGE_EVENTS)
def remove_campaign_rule(event_id: int, rule_id: int) -> Response | tuple[str, int]:
    """Remove a rule that has not started its campaign."""
    try:
        with get_db().transaction() as session:
            rule = rules.remove_rule(session, event_id, rule_id)
            record(session, actor(), "campaign_rule.removed", event_id, rule.kind.value,
                   offset_hours=rule.offset_hours, anchor=rule.anchor.value)  # fmt: skip
    except Conflict:
        errors = {"rules": gettext("Cet envoi a déjà eu lieu : il reste dans la liste.")}
        page, _ = event_campaigns_page(event_id, errors)
        return page, 409
    flash(gettext("L'envoi automatique est retiré."))
    return _back(event_id)
