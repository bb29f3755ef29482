"""French typography, set in one place. The messages are written with the keyboard's straight
apostrophe and plain spaces; every message a page or an email shows in French goes through
`typeset`, as the source language's catalogue (`FrenchTypography`, the last fallback of every
catalogue): the typographic apostrophe (’), a no-break space before « : » and inside « »,
a narrow no-break space before « ; ! ? » (Lexique des règles typographiques de l'Imprimerie
nationale). What organisers write is left as they wrote it."""

from __future__ import annotations

import re
from functools import lru_cache

from babel.support import NullTranslations

NO_BREAK = "\u00a0"
NARROW_NO_BREAK = "\u202f"
_APOSTROPHE = re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_])")  # between two letters: l'accueil
# A space typed before the sign (a plain one, or a no-break one of the wrong width).
_SPACES = {
    re.compile(r"[ \u202f](?=:)"): NO_BREAK,
    re.compile(r"[ \u00a0](?=[;!?])"): NARROW_NO_BREAK,
    re.compile(r"(?<=«)[ \u202f]"): NO_BREAK,
    re.compile(r"[ \u202f](?=»)"): NO_BREAK,
}


@lru_cache(maxsize=4096)  # the messages are few and shown again and again
def typeset(text: str) -> str:
    """`text`, written in French with a keyboard, in French typography."""
    text = _APOSTROPHE.sub("\u2019", text)
    for space, replacement in _SPACES.items():
        text = space.sub(replacement, text)
    return text


class FrenchTypography(NullTranslations):
    """The catalogue of the source language: each message as written, typeset. As the last
    fallback of a catalogue it also sets the French of a message not translated yet."""

    def gettext(self, message: str) -> str:
        """The message, typeset."""
        return typeset(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        """The singular up to one (French says « 0 personne »), else the plural; typeset."""
        return typeset(msgid1 if n <= 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        """The message, typeset, whatever its context."""
        return typeset(message)

    def npgettext(self, context: str, singular: str, plural: str, num: int) -> str:
        """ngettext, whatever the context."""
        return self.ngettext(singular, plural, num)

    ugettext = gettext
    ungettext = ngettext
    upgettext = pgettext
    unpgettext = npgettext


def with_french_typography(catalogue: NullTranslations) -> NullTranslations:
    """`catalogue`, whose messages not translated (all of them in French) come out typeset."""
    if not getattr(catalogue, "typeset", False):
        catalogue.add_fallback(FrenchTypography())
        catalogue.typeset = True  # type: ignore[attr-defined]
    return catalogue
