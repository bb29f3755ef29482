"""What the stand-in keeps of accepted requests, and the emails SendGrid would send from them.

AcceptedRequest      a Mail Send request answered 202 (or accepted before dropping).
DeliveredAttachment  an attachment as the recipient gets it.
Delivery             one email: a personalization with its substitutions applied.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class AcceptedRequest:
    """A Mail Send request the stand-in answered 202 (or accepted before dropping)."""

    x_message_id: str
    body: dict[str, Any]
    received_at: float  # epoch seconds


@dataclass(frozen=True)
class DeliveredAttachment:
    """An attachment as the recipient gets it."""

    filename: str
    type: str
    data: bytes
    disposition: str
    content_id: str | None


@dataclass(frozen=True)
class Delivery:
    """One email SendGrid would send: a personalization with its substitutions applied."""

    x_message_id: str  # of the request
    sg_message_id: str  # of this email, as in Event Webhook events and the Activity API
    to: tuple[str, ...]
    sender: str
    subject: str | None
    text: str | None
    html: str | None
    reply_to: str | None
    custom_args: dict[str, str]
    headers: dict[str, str]
    categories: tuple[str, ...]
    attachments: tuple[DeliveredAttachment, ...] = field(default=())

    @property
    def address(self) -> str:
        """The first (for our backend, the only) `to` address."""
        return self.to[0]

    def to_json(self) -> dict[str, Any]:
        """The JSON form served by /_standin/deliveries, attachment data in base64."""
        data = asdict(self)
        for attachment in data["attachments"]:
            attachment["data"] = base64.b64encode(attachment["data"]).decode("ascii")
        return data
