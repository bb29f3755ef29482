"""The validation of a Mail Send body, with SendGrid's error texts.

check_mail_send   the errors SendGrid would answer with a 400 for a body; empty if none.

The sender, reply-to and categories are checked here; the personalizations, the content and
the attachments in `personalizations.py` and `content.py`.
"""

from __future__ import annotations

from typing import Any

from tests.standins.sendgrid.content import _check_attachments, _check_content, _check_subject
from tests.standins.sendgrid.fields import (
    _check_headers,
    _check_strings,
    _error,
    _is_address,
    _json_type,
)
from tests.standins.sendgrid.personalizations import _check_personalizations

MAX_CATEGORIES = 10
MAX_CATEGORY_LENGTH = 255


def _check_from(body: dict[str, Any]) -> list[dict[str, Any]]:
    if _is_address(body.get("from")):
        return []
    return [_error(
        "The from object must be provided for every email send. It is an object that requires "
        'the email parameter, but may also contain a name parameter.  e.g. {"email" : '
        '"example@example.com"}  or {"email" : "example@example.com", "name" : '
        '"Example Recipient"}.',
        "from.email",
    )]  # fmt: skip


def _check_reply_to(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    if "reply_to" in body and "reply_to_list" in body:
        errors.append(_error(
            "The reply_to and reply_to_list parameters are mutually exclusive: use one of them.",
            "reply_to",
        ))  # fmt: skip
    if "reply_to" in body and not _is_address(body["reply_to"]):
        errors.append(_error("The reply_to email does not contain a valid address.", "reply_to"))
    return errors


def _check_categories(categories: Any) -> list[dict[str, Any]]:
    if categories is None:
        return []
    if not isinstance(categories, list):
        return [_error(f"Invalid type. Expected: array, given: {_json_type(categories)}.",
                       "categories")]  # fmt: skip
    errors = []
    if len(categories) > MAX_CATEGORIES:
        errors.append(_error(
            f"You cannot have more than {MAX_CATEGORIES} categories per request.", "categories"
        ))  # fmt: skip
    for i, category in enumerate(categories):
        if not isinstance(category, str):
            errors.append(_error(
                f"Invalid type. Expected: string, given: {_json_type(category)}.",
                f"categories.{i}",
            ))  # fmt: skip
        elif len(category) > MAX_CATEGORY_LENGTH:
            errors.append(_error(
                f"A category cannot have more than {MAX_CATEGORY_LENGTH} characters.",
                f"categories.{i}",
            ))  # fmt: skip
    return errors


def check_mail_send(body: Any) -> list[dict[str, Any]]:
    """The errors SendGrid would answer with a 400 for this Mail Send body; empty if none."""
    if not isinstance(body, dict):
        return [_error("Bad Request")]
    return [
        *_check_from(body),
        *_check_personalizations(body),
        *_check_subject(body),
        *_check_content(body),
        *_check_reply_to(body),
        *_check_strings(body.get("custom_args"), "custom_args"),
        *_check_headers(body.get("headers"), "headers"),
        *_check_categories(body.get("categories")),
        *_check_attachments(body.get("attachments")),
    ]
