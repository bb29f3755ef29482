"""Emails rendered from `service/templates/email/<name>/` (subject.txt, body.txt, body.html) in the
recipient's language, with a Jinja2 environment of their own: workers render without Flask.

Rendering happens once per template, language and event: personal values are substitution tags
in the context (see service/mail/context.py), so the result is shared by every recipient.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import css_inline
from babel.dates import format_datetime
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from service.errors import NotFound
from service.formatting import capfirst
from service.mail.kinds import EMAILS, kind_of
from service.typography import with_french_typography

# Shipped inside the package, so that an installed wheel finds them as a work tree does.
TEMPLATES = Path(str(files("service") / "templates" / "email"))
TRANSLATIONS = Path(str(files("service") / "translations"))
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
DEFAULT_TIMEZONE = "Europe/Paris"


# The same patterns as service/formatting.py, which reads the locale of a Flask request.
DATE_PATTERNS = {
    "fr": {
        "long_date": "EEEE d MMMM y",
        "short_date": "d MMMM y",
        "clock": "H'h'mm",
        "deadline": "EEEE d MMMM y 'à' H'h'mm",
    },
    "en": {
        "long_date": "EEEE d MMMM y",
        "short_date": "d MMMM y",
        "clock": "h:mm a",
        "deadline": "EEEE d MMMM y 'at' h:mm a",
    },
}

# Attributes that hold a link, and schemes that could run code or smuggle content.
LINK_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "background", "poster"})
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")
# Browsers ignore these inside a scheme ("java\tscript:"), and spaces around it.
IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]+")
NEWLINES = re.compile(r"\n{3,}")
ONE_LINE = re.compile(r"[ \t\r\n]+")  # not str.split(): it would turn no-break spaces into spaces
TEXT_WIDTH = 76  # under the 78 characters of RFC 5322, quoting included
BULLET = re.compile(r"^(\s*)(• |- )?")


class UnknownEmail(NotFound):
    """No folder of service/templates/email has this name."""


class UnsafeLink(ValueError):
    """A link of an HTML body uses a scheme that runs code (javascript:, vbscript:, data:)."""


@dataclass(frozen=True)
class RenderedEmail:
    """The three parts of an email, personal values still as tags."""

    subject: str
    text: str
    html: str


def language_of(language: str | None) -> str:
    """The language an email is rendered in: the one asked for when known, else French."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def format_date(value: datetime, kind: str, language: str, tz: str = DEFAULT_TIMEZONE) -> str:
    """`value` in the zone `tz`, as `kind` (long_date, short_date, clock, deadline) reads in
    `language`: 'mercredi 5 juillet 2017', '14h30', 'Wednesday 5 July 2017 at 2:30 PM'…"""
    language = language_of(language)
    return format_datetime(
        value, DATE_PATTERNS[language][kind], tzinfo=ZoneInfo(tz), locale=language
    )


def _date_filter(kind: str, language: str) -> Callable[[Context, datetime], str]:
    @pass_context
    def apply(context: Context, value: datetime) -> str:
        return format_date(value, kind, language, context.get("timezone") or DEFAULT_TIMEZONE)

    return apply


def translations(language: str) -> NullTranslations:
    """The compiled catalogue of `language`; French, the source language, needs none but its
    typography (service.typography)."""
    return _translations(language_of(language))


@lru_cache(maxsize=len(LANGUAGES))
def _translations(language: str) -> NullTranslations:
    return with_french_typography(Translations.load(str(TRANSLATIONS), [language]))


def environment(language: str) -> Environment:
    """The Jinja2 environment of one language; it keeps the compiled templates."""
    return _environment(language_of(language))


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        # HTML is escaped, also in a bare worker; text and subject are not.
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,  # a missing context key is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the code: no stat() per render
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        {kind: _date_filter(kind, language) for kind in DATE_PATTERNS[language]},
        capfirst=capfirst,
    )
    return env


def email_names() -> tuple[str, ...]:
    """The names of the emails declared in service/mail/kinds.py, each a folder of templates."""
    return tuple(sorted(EMAILS))


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    # At-rules (the media queries of small screens) cannot be inlined: they stay in <style>.
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


class _LinkChecker(HTMLParser):
    """Reads the link attributes of an HTML document as a browser would (entities decoded);
    text that merely quotes a link is not a link."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in LINK_ATTRIBUTES and value is not None:
                scheme = IGNORED_IN_SCHEME.sub("", value).lower()
                if scheme.startswith(UNSAFE_SCHEMES):
                    raise UnsafeLink(f"unsafe link in an email: <{tag} {name}={value[:60]!r}>")

    handle_startendtag = handle_starttag


def check_links(html: str) -> str:
    """Return `html` unchanged, or raise UnsafeLink if a link could run code."""
    checker = _LinkChecker(convert_charrefs=True)
    checker.feed(html)
    checker.close()
    return html


def _wrap(line: str) -> str:
    # Continuation lines keep the indent of the line, past its bullet; links are never cut.
    match = BULLET.match(line)
    assert match is not None  # the pattern matches every line
    indent = match.group(1) + " " * len(match.group(2) or "")
    return textwrap.fill(
        line,
        TEXT_WIDTH,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _clean_text(text: str) -> str:
    lines = [
        _wrap(line.rstrip()) if len(line) > TEXT_WIDTH else line.rstrip()
        for line in text.strip().splitlines()
    ]
    return NEWLINES.sub("\n\n", "\n".join(lines)) + "\n"


def render_email(name: str, language: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render the email `name` in `language` ('fr' when unknown) with `context`
    (see service/mail/context.py): subject on one line, text, CSS-inlined HTML."""
    if name not in email_names():
        raise UnknownEmail(f"no email named {name!r}; known emails: {', '.join(email_names())}")
    return render_folder(name, language, {**context, "campaign": kind_of(name).campaign})


def render_folder(folder: str, language: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render the subject.txt, body.txt and body.html of a folder of templates/email/ (an email
    of the domain, or one of `_account/`, which tell no event)."""
    language = language_of(language)
    env = environment(language)
    values = {**context, "language": language, "email_name": folder}
    subject = ONE_LINE.sub(" ", env.get_template(f"{folder}/subject.txt").render(values)).strip()
    values["subject"] = subject
    text = _clean_text(env.get_template(f"{folder}/body.txt").render(values))
    html = _inliner().inline(env.get_template(f"{folder}/body.html").render(values))
    return RenderedEmail(subject=subject, text=text, html=check_links(html))
