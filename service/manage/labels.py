"""How the back office names states and orders, in the page's language."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_date, format_timedelta, lazy_gettext

from service.db import utcnow
from service.manage.queries import Sort
from service.registrations.models import RegistrationStatus

STATUS_LABELS = {
    RegistrationStatus.CONFIRMED: lazy_gettext("Confirmé"),
    RegistrationStatus.WAITLISTED: lazy_gettext("En liste d'attente"),
    RegistrationStatus.OFFERED: lazy_gettext("Place proposée"),
    RegistrationStatus.DECLINED: lazy_gettext("A décliné"),
    RegistrationStatus.CANCELLED: lazy_gettext("Annulé"),
    RegistrationStatus.ATTENDED: lazy_gettext("Présent"),
}
SORT_LABELS = {
    Sort.NAME: lazy_gettext("Nom"),
    Sort.ORGANISATION: lazy_gettext("Organisation"),
    Sort.NEWEST: lazy_gettext("Les plus récentes d'abord"),
    Sort.OLDEST: lazy_gettext("Les plus anciennes d'abord"),
}

AUDIT_LABELS = {
    "user.created": lazy_gettext("compte créé"),
    "user.disabled": lazy_gettext("compte désactivé"),
    "user.password_set": lazy_gettext("mot de passe choisi"),
    "invitation.created": lazy_gettext("invitation créée (lien affiché)"),
    "invitation.sent": lazy_gettext("invitation envoyée"),
    "registration.added": lazy_gettext("inscription ajoutée"),
    "registration.cancelled": lazy_gettext("inscription annulée"),
    "registration.seat_given": lazy_gettext("place donnée"),
    "registration.moved_up": lazy_gettext("mise en tête de la liste d'attente"),
    "registration.confirmation_resent": lazy_gettext("confirmation renvoyée"),
}


def audit_label(action: str) -> str:
    """What an audit entry's action means, in words; the code itself for an unknown one."""
    label = AUDIT_LABELS.get(action)
    return str(label) if label is not None else action


def status_label(status: RegistrationStatus) -> str:
    """'Confirmé', 'En liste d'attente'…"""
    return str(STATUS_LABELS[status])


def sort_label(sort: Sort) -> str:
    """'Nom', 'Organisation'…"""
    return str(SORT_LABELS[sort])


def waited(since: datetime | None) -> str:
    """How long ago `since` was, as people say it ('3 jours')."""
    return format_timedelta(utcnow() - since, threshold=1.1) if since else ""


def short_date(value: datetime) -> str:
    """'7 déc. 2026' / '7 Dec 2026': a date in a table's narrow column."""
    return format_date(value, "d MMM y")


def init_app(app: Flask) -> None:
    """Register the back office's filters."""
    app.jinja_env.filters.update(
        status_label=status_label,
        sort_label=sort_label,
        waited=waited,
        audit_label=audit_label,
        short_date=short_date,
    )
