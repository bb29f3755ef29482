"""The expansion of an accepted request into its emails, substitutions applied as SendGrid does.

substituter   replaces every substitution tag of a text in a single pass.
expand        the emails of an accepted request, one per personalization.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tests.standins.sendgrid.records import AcceptedRequest, DeliveredAttachment, Delivery


def substituter(substitutions: Mapping[str, str]) -> Callable[[str | None], str | None]:
    """Replaces every tag in a single pass, as SendGrid does: a value put in place of a tag is
    never searched for tags again (SendGrid does not nest substitutions)."""
    tags = sorted((tag for tag in substitutions if tag), key=len, reverse=True)
    if not tags:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(tag) for tag in tags))

    def apply(text: str | None) -> str | None:
        return None if text is None else pattern.sub(lambda m: substitutions[m.group(0)], text)

    return apply


def _delivered_attachments(body: dict[str, Any]) -> tuple[DeliveredAttachment, ...]:
    return tuple(
        DeliveredAttachment(
            filename=item["filename"],
            type=item.get("type", "application/octet-stream"),
            data=base64.b64decode(item["content"]),
            disposition=item.get("disposition", "attachment"),
            content_id=item.get("content_id"),
        )
        for item in body.get("attachments") or ()
    )


def expand(request: AcceptedRequest, only: set[int] | None = None) -> Iterator[Delivery]:
    """The emails of an accepted request, one per personalization (or those indexed in `only`)."""
    body = request.body
    content = {part["type"].lower(): part["value"] for part in body.get("content") or ()}
    reply_to = (body.get("reply_to") or (body.get("reply_to_list") or [{}])[0]).get("email")
    attachments = _delivered_attachments(body)
    for index, personalization in enumerate(body["personalizations"]):
        if only is not None and index not in only:
            continue
        apply = substituter(personalization.get("substitutions") or {})
        yield Delivery(
            x_message_id=request.x_message_id,
            sg_message_id=f"{request.x_message_id}.standin{index}.0",
            to=tuple(address["email"] for address in personalization["to"]),
            sender=body["from"]["email"],
            subject=apply(personalization.get("subject", body.get("subject"))),
            text=apply(content.get("text/plain")),
            html=apply(content.get("text/html")),
            reply_to=apply(reply_to),
            custom_args={**body.get("custom_args", {}), **personalization.get("custom_args", {})},
            headers={**body.get("headers", {}), **personalization.get("headers", {})},
            categories=tuple(body.get("categories") or ()),
            attachments=attachments,
        )
