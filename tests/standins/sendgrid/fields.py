"""SendGrid's error entries, and the checks of single fields that the other checks share.

Private helpers only: `_error` (one entry of SendGrid's error body), `_json_type`,
`_check_strings`, `_check_headers` (reserved names refused) and `_is_address`.
"""

from __future__ import annotations

import re
from typing import Any

RESERVED_HEADERS = (
    "x-sg-id", "x-sg-eid", "received", "dkim-signature", "Content-Type",
    "Content-Transfer-Encoding", "To", "From", "Subject", "Reply-To", "CC", "BCC",
)  # fmt: skip
ERRORS_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"

_INDEXES = re.compile(r"\.\d+")  # personalizations.3.to → personalizations.to


def _error(message: str, field: str | None = None) -> dict[str, Any]:
    """One entry of SendGrid's error body; `help` points at the errors page like SendGrid's."""
    help_url = f"{ERRORS_HELP}#message.{_INDEXES.sub('', field)}" if field else None
    return {"message": message, "field": field, "help": help_url}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    names = {float: "number", str: "string", list: "array", dict: "object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _check_strings(mapping: Any, where: str) -> list[dict[str, Any]]:
    """A collection of key/value pairs whose values must all be strings."""
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        return [_error(f"Invalid type. Expected: object, given: {_json_type(mapping)}.", where)]
    return [
        _error(f"Invalid type. Expected: string, given: {_json_type(value)}.", f"{where}.{key}")
        for key, value in mapping.items()
        if not isinstance(value, str)
    ]


def _check_headers(headers: Any, where: str) -> list[dict[str, Any]]:
    errors = _check_strings(headers, where)
    reserved = {name.lower() for name in RESERVED_HEADERS}
    for name in headers if isinstance(headers, dict) else ():
        if name.lower() in reserved:
            errors.append(_error(
                f"The header {name} is reserved and cannot be set: you may not overwrite "
                f"{', '.join(RESERVED_HEADERS)}.",
                f"{where}.{name}",
            ))  # fmt: skip
    return errors


def _is_address(value: Any) -> bool:
    email = value.get("email") if isinstance(value, dict) else None
    return isinstance(email, str) and email.count("@") == 1 and " " not in email
