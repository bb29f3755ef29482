"""Text typed by people, checked where it comes in: control characters (a NUL, a line break in a
name) would break an email header, a PostgreSQL text column or a page."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1, line breaks and tabs included
PROSE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tabs and lines allowed


def one_line(value: str) -> str:
    """`value` without control characters, each run of spaces made one space: for what a
    person types in a form, where such characters can only be a mistake or an attack."""
    # Most values are clean already: printable (so with no control character, and no space
    # other than U+0020) with single spaces between words. An import checks millions of them.
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value
    return " ".join(CONTROLS.sub(" ", value).split())


def check_one_line(value: str) -> str:
    """`value` unchanged, or ValueError when it holds a line break or another control."""
    if found := CONTROLS.search(value):
        raise ValueError(f"must be one line, without control characters (found {found[0]!r})")
    return value


def check_prose(value: str) -> str:
    """`value` unchanged, or ValueError when it holds a control other than tab or line break."""
    if found := PROSE_CONTROLS.search(value):
        raise ValueError(f"control characters are not allowed (found {found[0]!r})")
    return value


OneLine = Annotated[str, AfterValidator(check_one_line)]
Prose = Annotated[str, AfterValidator(check_prose)]
