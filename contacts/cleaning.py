"""Checking one imported row: each field is cleaned, or the row is refused naming the column."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from contacts.models import normalise_email
from service.text import one_line

LIMITS = {
    "first_name": 200,
    "last_name": 200,
    "organisation": 300,
    "role": 300,
    "region": 100,
    "phone": 50,
}
LANGUAGES = {
    "fr": "fr", "francais": "fr", "français": "fr", "french": "fr",
    "en": "en", "anglais": "en", "english": "en",
}  # fmt: skip
TAG_SPLIT = re.compile(r"[,;|]")
# Addresses as nearly all are written: ASCII letters, digits and a few signs in dot-separated
# runs before the @, ASCII letters, digits, dots and hyphens after it. For these (no Punycode,
# at most 254 characters) the local part is valid, no length limit can be reached and no part
# can mix scripts, so the verdict of validate_email rests on the domain alone, and each domain
# is checked once instead of once per row.
PLAIN_ADDRESS = re.compile(r"([\w+'-]+(?:\.[\w+'-]+)*)@([A-Za-z0-9.-]+)", re.ASCII)
PLAIN_MAX_LENGTH = 254


@dataclass
class CleanContact:
    """The fields of one valid row, ready to be written."""

    email: str
    first_name: str = ""
    last_name: str = ""
    organisation: str = ""
    role: str = ""
    region: str = ""
    phone: str = ""
    language: str = ""
    tags: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    def fill_from(self, other: CleanContact) -> None:
        """Take `other`'s values for the fields this one leaves empty (a duplicate row merged)."""
        for name in LIMITS:
            if not getattr(self, name) and getattr(other, name):
                setattr(self, name, getattr(other, name))
        self.language = self.language or other.language
        self.tags = self.tags + [t for t in other.tags if t not in self.tags]
        self.extra = {**other.extra, **self.extra}


class RowRefused(ValueError):
    """A row that cannot be imported; `field` is the field whose column is at fault."""

    def __init__(self, field_name: str, reason: str):
        self.field = field_name
        self.reason = reason
        super().__init__(f"{field_name}: {reason}")


def split_name(name: str) -> tuple[str, str]:
    """'Françoise Bernon' → ('Françoise', 'Bernon'); a single word is a first name."""
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


def _scripts(text: str) -> set[str]:
    """The writing systems of the letters of `text` (LATIN, CYRILLIC, GREEK…)."""
    return {unicodedata.name(ch, "?").split()[0] for ch in text if ch.isalpha()}


def _refuse_look_alikes(address: str) -> None:
    # A Cyrillic "а" among Latin letters reads as "a" but is another address: a typo or a trap.
    local, _, domain = address.rpartition("@")
    for part in (local, *domain.split(".")):
        scripts = _scripts(part)
        if len(scripts) > 1:
            names = " and ".join(sorted(s.title() for s in scripts))
            raise RowRefused("email", f"mixes {names} letters in {part!r}: a look-alike address")


def clean_email(raw: str) -> str:
    """The stored form of an address, or RowRefused saying what is wrong with it."""
    text = raw.strip()
    if not text:
        raise RowRefused("email", "no email address")
    plain = PLAIN_ADDRESS.fullmatch(text)
    if plain and len(text) <= PLAIN_MAX_LENGTH and "xn--" not in plain[2].lower():
        return f"{plain[1].lower()}@{_plain_domain(plain[2])}"
    return _checked_email(text)


@lru_cache(maxsize=16384)
def _plain_domain(domain: str) -> str:
    """The stored form of the domain of a plain address, checked in a one-letter address; the
    verdict is the same for every plain address at this domain (RowRefused is not cached)."""
    return _checked_email(f"a@{domain}").partition("@")[2]


def _checked_email(text: str) -> str:
    """An address fully checked by validate_email, then normalised and checked for look-alikes."""
    try:
        validated = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise RowRefused("email", str(exc)) from exc
    address = normalise_email(validated.normalized)
    _refuse_look_alikes(address)
    return address


def clean_row(values: dict[str, str], extra: dict[str, str]) -> CleanContact:
    """A CleanContact from a row's mapped values; RowRefused names the first field at fault."""
    # Control characters (a line break, a NUL) would break an email header or a PostgreSQL text.
    contact = CleanContact(
        email=clean_email(values.get("email", "")),
        extra={column: one_line(text) for column, text in extra.items()},
    )
    full_name = values.get("full_name", "").strip()
    if full_name and not (values.get("first_name") or values.get("last_name")):
        first, last = split_name(full_name)
        values = {**values, "first_name": first, "last_name": last}
    for name, limit in LIMITS.items():
        text = one_line(values.get(name, ""))
        if len(text) > limit:
            raise RowRefused(name, f"longer than {limit} characters")
        setattr(contact, name, text)
    language = values.get("language", "").strip().lower()
    if language:
        if language not in LANGUAGES:
            shown = language if len(language) <= 20 else language[:19] + "…"
            raise RowRefused("language", f"unknown language {shown!r} (fr or en)")
        contact.language = LANGUAGES[language]
    tags = TAG_SPLIT.split(one_line(values.get("tags", "")))
    contact.tags = [tag.strip() for tag in tags if tag.strip()]
    return contact
