"""SendGrid's v3 Mail Send API: one request carries up to 1,000 recipients, each a
personalization with its own substitutions, headers and outbox id, and SendGrid replaces the
tags itself. Every answer becomes an Outcome per recipient; nothing SendGrid says raises."""

from __future__ import annotations

import base64
import http.client
import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any
from urllib.error import URLError

import sendgrid
from python_http_client.exceptions import HTTPError

from service.config import Settings
from service.mail.backends import ProviderUnreachable
from service.mail.envelope import (
    NO_ROW,
    Address,
    Attachment,
    Batch,
    Content,
    Outcome,
    Recipient,
    Result,
    tag_values,
    unsent,
)

DEFAULT_HOST = "https://api.sendgrid.com"
MAX_RECIPIENTS = 1000  # per request, and personalizations per request
RATE_LIMIT_WAIT = 60.0  # seconds to wait after a 429 that does not say when the limit resets


class ActivityUnavailable(ProviderUnreachable):
    """The Email Activity API did not answer: whether a send was accepted stays unknown."""


class SendGridBackend:
    """Sends batches through the `sendgrid` library, one request per 1,000 recipients."""

    batch_size = MAX_RECIPIENTS

    def __init__(self, settings: Settings, timeout: float | None = None) -> None:
        #: Seconds to wait for a connection (then RETRY), then for the answer (then UNCERTAIN).
        self.timeout = timeout or settings.mail_request_timeout
        self._client = sendgrid.SendGridAPIClient(
            api_key=settings.sendgrid_api_key,
            host=(settings.sendgrid_api_host or DEFAULT_HOST).rstrip("/"),
        )

    def send(self, batch: Batch, deadline: float = math.inf) -> list[Outcome]:
        """Send every recipient of `batch`; one Outcome per recipient, in the same order."""
        by_position: dict[int, Outcome] = {}
        rate_limited: Outcome | None = None
        for positions in split_requests(batch.recipients):
            recipients = [batch.recipients[i] for i in positions]
            if time.time() >= deadline:
                answers = unsent(recipients)
            elif rate_limited:
                # Further requests would only meet the same limit: they wait as long.
                answers = [replace(rate_limited, message_id=r.message_id) for r in recipients]
            else:
                answers = self._post(batch.content, recipients)
                if answers[0].not_before is not None:
                    rate_limited = answers[0]
            by_position.update(zip(positions, answers, strict=True))
        return [by_position[position] for position in range(len(batch.recipients))]

    def close(self) -> None:
        """Nothing to release: urllib opens a connection per request."""

    def accepted_message_ids(self, message_ids: Iterable[int]) -> set[int]:
        """Which of these outbox rows SendGrid accepted, from its Email Activity API; how an
        UNCERTAIN send is settled. SendGrid lists a message once it has processed it, seconds
        to minutes after the send, so an empty answer right after a send proves nothing.
        Raises ActivityUnavailable when the API does not answer."""
        accepted: set[int] = set()
        for message_id in dict.fromkeys(message_ids):
            # One query per row: the listed messages do not repeat the custom args they matched.
            query = f"unique_args['message_id']=\"{message_id}\""
            try:
                response = self._client.client.messages.get(
                    query_params={"query": query, "limit": 1}, timeout=self.timeout
                )
                messages = json.loads(response.body or b"{}").get("messages")
            except HTTPError as error:
                raise ActivityUnavailable(_refusal_text(error)) from error
            except (OSError, http.client.HTTPException, ValueError) as error:
                raise ActivityUnavailable(f"no answer from SendGrid: {error}") from error
            if messages:
                accepted.add(message_id)
        return accepted

    def _post(self, content: Content, recipients: Sequence[Recipient]) -> list[Outcome]:
        """One Mail Send request; its answer for each of its recipients."""
        ids = [recipient.message_id for recipient in recipients]
        try:
            response = self._client.client.mail.send.post(
                request_body=mail_send_body(content, recipients), timeout=self.timeout
            )
        except HTTPError as error:
            return _refused(ids, error)
        except URLError as error:
            # Raised while connecting or sending: SendGrid never had the whole request.
            return [
                Outcome(i, Result.RETRY, error=f"SendGrid unreachable: {error.reason}") for i in ids
            ]
        except (OSError, http.client.HTTPException) as error:
            # The request went out and no answer came back (dropped, reset, timed out):
            # SendGrid may have accepted it.
            text = f"no answer from SendGrid: {error!r}"
            return [Outcome(i, Result.UNCERTAIN, error=text) for i in ids]
        provider_id = response.headers.get("X-Message-Id") or ""
        return [Outcome(i, Result.SENT, provider_id=provider_id) for i in ids]


def accepted_message_ids(settings: Settings, message_ids: Iterable[int]) -> set[int]:
    """Which of these outbox rows SendGrid accepted (see SendGridBackend.accepted_message_ids)."""
    return SendGridBackend(settings).accepted_message_ids(message_ids)


def split_requests(recipients: Sequence[Recipient]) -> list[list[int]]:
    """The recipients' positions grouped into requests SendGrid accepts: at most 1,000 each, an
    address at most once each (SendGrid refuses the whole request otherwise, ignoring case),
    and a recipient with attachments of its own alone (attachments are per request)."""
    alone: list[list[int]] = []
    rounds: list[list[int]] = []  # round k holds the k-th recipient of each address
    seen: dict[str, int] = {}
    for position, recipient in enumerate(recipients):
        if recipient.attachments:
            alone.append([position])
            continue
        address = recipient.to.email.lower()
        occurrence = seen.get(address, 0)
        seen[address] = occurrence + 1
        if occurrence == len(rounds):
            rounds.append([])
        rounds[occurrence].append(position)
    chunks = [
        positions[start : start + MAX_RECIPIENTS]
        for positions in rounds
        for start in range(0, len(positions), MAX_RECIPIENTS)
    ]
    return chunks + alone


def mail_send_body(content: Content, recipients: Sequence[Recipient]) -> dict[str, Any]:
    """The JSON body of one Mail Send request."""
    parts = [{"type": "text/plain", "value": content.text}]
    if content.html:
        parts.append({"type": "text/html", "value": content.html})
    body: dict[str, Any] = {
        "from": _address(content.sender),
        "subject": content.subject,
        "content": parts,
        "personalizations": [_personalization(recipient) for recipient in recipients],
    }
    if content.reply_to:
        body["reply_to"] = _address(content.reply_to)
    if content.categories:
        body["categories"] = list(content.categories)
    if content.headers:
        body["headers"] = dict(content.headers)
    attachments = [*content.attachments, *(a for r in recipients for a in r.attachments)]
    if attachments:
        body["attachments"] = [_attachment(attachment) for attachment in attachments]
    return body


def _personalization(recipient: Recipient) -> dict[str, Any]:
    # custom_args carry the outbox id only: SendGrid keeps them long-term as non-personal data.
    personalization: dict[str, Any] = {"to": [_address(recipient.to, recipient=True)]}
    if recipient.message_id != NO_ROW:
        personalization["custom_args"] = {"message_id": str(recipient.message_id)}
    if recipient.substitutions:
        personalization["substitutions"] = tag_values(recipient)
    if recipient.headers:
        personalization["headers"] = dict(recipient.headers)
    return personalization


def _address(address: Address, recipient: bool = False) -> dict[str, str]:
    name = address.name
    if recipient:
        # SendGrid refuses a whole request whose to.name holds a comma or a semicolon.
        name = " ".join(name.replace(",", " ").replace(";", " ").split())
    return {"email": address.email, "name": name} if name else {"email": address.email}


def _attachment(attachment: Attachment) -> dict[str, str]:
    item = {
        "content": base64.b64encode(attachment.data).decode("ascii"),
        "filename": attachment.filename,
        "type": attachment.content_type,
        "disposition": "inline" if attachment.content_id else "attachment",
    }
    if attachment.content_id:
        item["content_id"] = attachment.content_id
    return item


def _refusal_text(error: HTTPError) -> str:
    """SendGrid's own error messages, joined; the status line when the body has none."""
    try:
        errors = json.loads(error.body or b"{}").get("errors") or []
        messages = [str(e["message"]) for e in errors if isinstance(e, dict) and e.get("message")]
    except (ValueError, AttributeError):
        messages = []
    return "; ".join(messages) or f"{error.status_code} {error.reason}"


def _refused(message_ids: Sequence[int], error: HTTPError) -> list[Outcome]:
    """The outcomes of an answer other than 2xx: 429 and 5xx are retried, other 4xx are not."""
    text = _refusal_text(error)
    if error.status_code == 429:
        not_before = _rate_limit_reset(error.headers)
        return [Outcome(i, Result.RETRY, error=text, not_before=not_before) for i in message_ids]
    result = Result.RETRY if error.status_code >= 500 else Result.FAILED
    return [Outcome(i, result, error=text) for i in message_ids]


def _rate_limit_reset(headers: Any) -> float:
    """X-RateLimit-Reset (epoch seconds), or a minute from now when SendGrid does not say."""
    try:
        reset = float(headers.get("X-RateLimit-Reset"))
    except (AttributeError, TypeError, ValueError):
        reset = math.nan
    return reset if math.isfinite(reset) else time.time() + RATE_LIMIT_WAIT
