"""Dates and times as people read them, in the event's time zone and the page's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, g, request, url_for
from flask_babel import format_datetime, get_locale, get_translations, lazy_gettext

from service.events.models import Question, SpeakerRole


def _is_english() -> bool:
    return str(get_locale()) == "en"


def long_date(value: datetime) -> str:
    """'mercredi 5 juillet 2017' / 'Wednesday 5 July 2017'."""
    return format_datetime(value, "EEEE d MMMM y")


def clock(value: datetime) -> str:
    """'14h30' in French, '2:30 PM' in English."""
    return format_datetime(value, "h:mm a" if _is_english() else "H'h'mm")


def deadline(value: datetime) -> str:
    """A date and time: 'lundi 3 juillet 2017 à 14h30' / 'Monday 3 July 2017 at 2:30 PM'."""
    if _is_english():
        return format_datetime(value, "EEEE d MMMM y 'at' h:mm a")
    return format_datetime(value, "EEEE d MMMM y 'à' H'h'mm")


def capfirst(value: str) -> str:
    """The text with its first letter in upper case and the rest untouched ('Wednesday 5 July')."""
    return value[:1].upper() + value[1:]


ROLE_LABELS = {
    SpeakerRole.ANIMATION: lazy_gettext("Animation"),
    SpeakerRole.GRAND_TEMOIN: lazy_gettext("Grand témoin"),
    SpeakerRole.TEMOIGNAGE: lazy_gettext("Témoignage"),
}


def role_label(role: SpeakerRole) -> str:
    """The speaker's part, as printed in the programme; nothing for a plain intervention."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else ""


def question_in(question: Question, language: str) -> str:
    """The question in `language`; the French label when no English one is given."""
    return question.label_en if language == "en" and question.label_en else question.label


def question_label(question: Question) -> str:
    """The question in the page's language."""
    return question_in(question, "en" if _is_english() else "fr")


def choice_in(question: Question, choice: Any, language: str) -> str:
    """An option of a 'choice' question in `language`: the English option when asked for and
    given for it, else the French as stored (what an email in the recipient's language needs)."""
    french = str(choice)
    # Answers store the French option: its place among `choices` finds its English.
    options = [str(option) for option in question.choices]
    if language == "en" and french in options:
        position = options.index(french)
        if position < len(question.choices_en) and question.choices_en[position]:
            return str(question.choices_en[position])
    return french


def choice_label(question: Question, choice: Any) -> str:
    """An option of a 'choice' question in the page's language."""
    return choice_in(question, choice, "en" if _is_english() else "fr")


def lang_url(code: str) -> str:
    """The current page in the language `code`.

    A page shown by GET is reloaded with `?lang=`, a relative link that repeats nothing of the
    address, so that refused links of any kind give the same page. A page shown in answer to a POST
    (a form to correct) links to the GET page of its personal link, never to the POST-only action.
    """
    if request.method in ("GET", "HEAD"):
        return f"?lang={code}"
    token = (request.view_args or {}).get("token")
    if token:
        return url_for("public.show", token=token, lang=code)
    return url_for("public.home", lang=code)


def _translations() -> Any:
    # Flask-Babel finds the request's catalogue anew for every message (a page has twenty):
    # found once per request instead.
    try:
        return g.convier_translations
    except AttributeError:
        g.convier_translations = translations = get_translations()
        return translations


def init_app(app: Flask) -> None:
    """Register the filters and the globals of the templates (after Flask-Babel's set-up)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: _translations().ugettext(message),
        ngettext=lambda one, many, n: _translations().ungettext(one, many, n),
        pgettext=lambda context, message: _translations().upgettext(context, message),
        npgettext=lambda context, one, many, n: _translations().unpgettext(context, one, many, n),
        newstyle=True,
    )
    app.jinja_env.filters.update(
        long_date=long_date,
        clock=clock,
        deadline=deadline,
        capfirst=capfirst,
        role_label=role_label,
        question_label=question_label,
        choice_label=choice_label,
    )
    app.jinja_env.globals.update(get_locale=get_locale, lang_url=lang_url)
