"""What a service refuses, in one family every door maps once: the pages (`error_pages.py`,
the field highlighted), the JSON API (RFC 9457 problem details) and the CLI (`cli.py`, the
field as its option). Services name fields as the data names them, never as a CLI flag."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A step a service refuses; `fields` maps each field at fault to its reason."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "refused"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def lines(self) -> list[str]:
        """One line per field at fault (`field: reason`), or the message alone."""
        return [f"{name}: {reason}" for name, reason in self.fields.items()] or [self.message]


class NotFound(DomainError):
    """What is asked for does not exist (an unknown id, list or email)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The thing exists, but its state forbids the step (a cancelled campaign, a closed event)."""

    status = 409
    code = "conflict"


class NotAllowed(DomainError):
    """The one asking may not take this step."""

    status = 403
    code = "not_allowed"


class Invalid(DomainError):
    """A value is wrong; the error names its field (several names share one reason)."""

    status = 422
    code = "invalid"

    def __init__(self, field: str | tuple[str, ...], reason: str):
        names = ", ".join((field,) if isinstance(field, str) else field)
        super().__init__(f"{names}: {reason}", fields={names: reason})
