"""Dates and times as people read them, in the event's time zone and the page's language."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_datetime, get_locale

from service.events.models import SpeakerRole


def long_date(value: datetime) -> str:
    """'mercredi 5 juillet 2017' / 'Wednesday 5 July 2017'."""
    return format_datetime(value, "EEEE d MMMM y")


def clock(value: datetime) -> str:
    """'14h30' in French, '2:30 PM' in English."""
    pattern = "H'h'mm" if str(get_locale()) == "fr" else "h:mm a"
    return format_datetime(value, pattern)


def deadline(value: datetime) -> str:
    """A date and time: 'lundi 3 juillet 2017 à 14h30'."""
    if str(get_locale()) == "fr":
        return format_datetime(value, "EEEE d MMMM y 'à' H'h'mm")
    return format_datetime(value, "EEEE d MMMM y 'at' h:mm a")


def role_label(role: SpeakerRole) -> str:
    """The speaker's part, as printed in the programme."""
    from flask_babel import gettext

    labels = {
        SpeakerRole.ANIMATION: gettext("Animation"),
        SpeakerRole.GRAND_TEMOIN: gettext("Grand témoin"),
        SpeakerRole.INTERVENTION: "",
        SpeakerRole.TEMOIGNAGE: gettext("Témoignage"),
    }
    return labels[role]


def init_app(app: Flask) -> None:
    """Register the filters and the locale global."""
    app.jinja_env.filters.update(long_date=long_date, clock=clock, deadline=deadline, role_label=role_label)
    app.jinja_env.globals["get_locale"] = get_locale
