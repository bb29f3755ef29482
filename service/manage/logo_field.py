"""The logo field of the event form. A browser never fills a file field again, so a logo chosen
is carried, checked, in a hidden field while the form is shown again (its own buttons, a refusal
elsewhere, the question of whom to email) and saved with the rest."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from flask_babel import gettext
from werkzeug.datastructures import FileStorage, MultiDict

from service.errors import Invalid
from service.events.logos import MAX_BYTES, checked_logo


@dataclass(frozen=True)
class LogoChoice:
    """What the form asks of the logo: a new one (checked), its removal, or nothing; `error`
    when the file chosen is refused."""

    data: bytes | None = None
    remove: bool = False  # wins over `data`: the event is left without a logo
    error: str = ""

    @property
    def pending(self) -> str:
        """The new logo for the form's hidden field (base64), "" when none."""
        return base64.b64encode(self.data).decode("ascii") if self.data else ""

    @property
    def preview(self) -> str:
        """The new logo as a data: URL, for the form to show it before it is saved."""
        return f"data:{checked_logo(self.data)};base64,{self.pending}" if self.data else ""


def _sent(files: MultiDict[str, FileStorage]) -> bytes | None:
    sent = files.get("logo")
    if sent is None or not sent.filename:
        return None
    try:
        return sent.read(MAX_BYTES + 1)  # enough to tell a file too large
    finally:
        sent.close()  # a large file is spooled to disk


def _pending(form: MultiDict[str, str]) -> bytes | None:
    try:
        return base64.b64decode(form.get("logo.pending", ""), validate=True) or None
    except (binascii.Error, ValueError):
        return None  # not ours: as if nothing had been chosen


def read_logo(form: MultiDict[str, str], files: MultiDict[str, FileStorage]) -> LogoChoice:
    """The logo the form asks for: a file chosen now wins over one carried from before, and is
    checked here whatever the form says of it; "Retirer le logo" leaves the event without one."""
    remove = form.get("logo.remove") == "on"
    data = _sent(files) or _pending(form)
    if data is None:
        return LogoChoice(remove=remove)
    try:
        checked_logo(data)
    except Invalid:
        message = gettext("Le logo doit être une image PNG, JPEG ou WebP de 200 Ko au plus.")
        return LogoChoice(remove=remove, error=message)
    return LogoChoice(data=data, remove=remove)
