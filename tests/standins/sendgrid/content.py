"""The checks of what a Mail Send email says: subject, content blocks and attachments.

Private helpers only: `_check_subject`, `_check_content` (order and uniqueness of text/plain
and text/html) and `_check_attachments` (base64 content, filename, disposition).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tests.standins.sendgrid.fields import _error, _json_type


def _check_subject(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body.get("template_id") or (isinstance(body.get("subject"), str) and body["subject"]):
        return []
    personalizations = body.get("personalizations")
    if (
        isinstance(personalizations, list)
        and personalizations
        and all(
            isinstance(p, dict) and isinstance(p.get("subject"), str) and p["subject"]
            for p in personalizations
        )
    ):
        return []
    return [_error(
        "The subject is required. You can get around this requirement if you use a template "
        "with a subject defined or if every personalization has a subject defined.",
        "subject",
    )]  # fmt: skip


def _check_content(body: dict[str, Any]) -> list[dict[str, Any]]:
    content = body.get("content")
    if content is None and body.get("template_id"):
        return []
    if not isinstance(content, list) or not content:
        return [_error(
            "Unless a valid template_id is provided, the content parameter is required. There "
            "must be at least one defined content block. We typically suggest both text/plain "
            "and text/html blocks are included, but only one block is required.",
            "content",
        )]  # fmt: skip
    errors = []
    types = []
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        value = part.get("value") if isinstance(part, dict) else None
        if not isinstance(kind, str) or not kind:
            errors.append(_error(
                "The content type must be a string at least one character in length.",
                f"content.{i}.type",
            ))  # fmt: skip
        if not isinstance(value, str) or not value:
            errors.append(_error(
                "The content value must be a string at least one character in length.",
                f"content.{i}.value",
            ))  # fmt: skip
        types.append(kind.lower() if isinstance(kind, str) else "")
    if types.count("text/plain") > 1 or types.count("text/html") > 1:
        errors.append(_error(
            "If present, text/plain and text/html may only be provided once.", "content"
        ))  # fmt: skip
    expected = [kind for kind in ("text/plain", "text/html") if kind in types]
    if types[: len(expected)] != expected:
        errors.append(_error(
            "If present, text/plain content must be first, followed by text/html, followed by "
            "any other content.",
            "content",
        ))  # fmt: skip
    return errors


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _check_attachments(attachments: Any) -> list[dict[str, Any]]:
    if attachments is None:
        return []
    if not isinstance(attachments, list):
        return [_error(f"Invalid type. Expected: array, given: {_json_type(attachments)}.",
                       "attachments")]  # fmt: skip
    errors = []
    for i, attachment in enumerate(attachments):
        item = attachment if isinstance(attachment, dict) else {}
        content = item.get("content")
        if not isinstance(content, str) or not content:
            errors.append(_error("The attachment content is required.", f"attachments.{i}.content"))
        elif not _is_base64(content):
            errors.append(_error(
                "The attachment content must be base64 encoded.", f"attachments.{i}.content"
            ))  # fmt: skip
        if not isinstance(item.get("filename"), str) or not item["filename"]:
            errors.append(_error(
                "The attachment filename parameter is required.", f"attachments.{i}.filename"
            ))  # fmt: skip
        disposition = item.get("disposition", "attachment")
        if disposition not in ("attachment", "inline"):
            errors.append(_error(
                'The disposition of your attachment can be either "inline" or "attachment".',
                f"attachments.{i}.disposition",
            ))  # fmt: skip
        elif disposition == "inline" and not item.get("content_id"):
            errors.append(_error(
                "The content_id parameter is required if disposition is set to inline.",
                f"attachments.{i}.content_id",
            ))  # fmt: skip
    return errors
