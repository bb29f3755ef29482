"""The parts of an invitation page that are the same for every invitee (the header with the date
and place; the description, programme and contact), rendered once per event, content version and
language rather than on every request."""

from __future__ import annotations

from threading import Lock

from flask import Flask, render_template
from flask_babel import get_locale
from markupsafe import Markup

from service.events.models import Event

PARTS = {"header": "public/_event_header.html", "details": "public/_event_details.html"}
MAX_ENTRIES = 256
_rendered: dict[tuple[str, int, str, int, str], Markup] = {}
_lock = Lock()


def event_part(name: str, event: Event) -> Markup:
    """The part `name` of PARTS as HTML for this event, from the cache when possible."""
    # The creation instant tells apart two events that had the same id (SQLite may reuse one).
    key = (name, event.id, event.created_at.isoformat(), event.content_version, str(get_locale()))
    html = _rendered.get(key)
    if html is None:
        html = Markup(render_template(PARTS[name], event=event))  # noqa: S704 - autoescaped template
        with _lock:
            if len(_rendered) >= MAX_ENTRIES:
                _rendered.clear()
            _rendered[key] = html
    return html


def init_app(app: Flask) -> None:
    """Make event_part() available to templates."""
    app.jinja_env.globals["event_part"] = event_part
