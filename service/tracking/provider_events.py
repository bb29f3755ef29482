"""SendGrid's Event Webhook: verify a batch on its raw bytes, keep it, then read its events once
each (SendGrid retries, so the same event can come several times), tie them to our messages
through the `message_id` custom arg, and put hard bounces, spam reports and unsubscribes on the
suppression list."""

from __future__ import annotations

import binascii
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sendgrid.helpers.eventwebhook import EventWebhook
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from contacts.models import Contact, SuppressionReason
from contacts.services import InvalidEmail, clean_email
from contacts.suppression import suppress
from service.config import Settings
from service.db import Database, DatabaseBusy, insert_ignoring_duplicates, utcnow
from service.inputs import MAX_ID, parse_json
from service.mail.models import Message
from service.text import CONTROLS
from service.tracking import funnel
from service.tracking.funnel import step_of
from service.tracking.models import ProviderEvent, WebhookBatch

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
TOLERANCE_SECONDS = 300  # a signed batch older or newer than this is a replay
# Link scanners of mail gateways, and clicks too soon after the email left to be a person's.
SCANNER_AGENTS = re.compile(
    r"bot|crawl|spider|scan|barracuda|mimecast|proofpoint|symantec|forcepoint|trendmicro"
    r"|safelinks|python-requests|curl|wget|go-http-client|headless",
    re.IGNORECASE,
)
SCANNER_DELAY = timedelta(seconds=10)
LATEST_TIMESTAMP = 2**33  # year 2242: later "timestamps" are not times
SUPPRESSING = {
    "spamreport": SuppressionReason.SPAM_REPORT,
    "unsubscribe": SuppressionReason.UNSUBSCRIBED,
    "group_unsubscribe": SuppressionReason.UNSUBSCRIBED,
}


class Refused(Exception):
    """The batch is not SendGrid's, or is a replay; the message says which check failed."""


def verify(
    settings: Settings, body: bytes, signature: str | None, timestamp: str | None, now: float
) -> str:
    """The batch's text once its signature and timestamp are checked; Refused otherwise."""
    if not settings.sendgrid_webhook_public_key:
        raise Refused("no SENDGRID_WEBHOOK_PUBLIC_KEY: every event is refused")
    if not signature or not timestamp:
        raise Refused(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER}")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise Refused(f"{TIMESTAMP_HEADER} is more than {TOLERANCE_SECONDS} s away")
    try:
        payload = body.decode("utf-8")
        valid = EventWebhook(settings.sendgrid_webhook_public_key).verify_signature(
            payload, signature, timestamp
        )
    except (UnicodeDecodeError, ValueError, binascii.Error):
        valid = False
    if not valid:
        raise Refused("the signature does not match the body")
    return payload


def receive(session: Session, payload: str) -> int:
    """Keep a verified batch for a worker; its id."""
    batch = WebhookBatch(body=payload, received_at=utcnow())
    session.add(batch)
    session.flush()
    return batch.id


def _message_id(event: dict[str, Any]) -> int | None:
    value = event.get("message_id")
    if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None


def _row(event: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    event_id, kind, moment = event.get("sg_event_id"), event.get("event"), event.get("timestamp")
    if not (isinstance(event_id, str) and isinstance(kind, str) and isinstance(moment, int)):
        return None  # not an event we can tell apart: ignored, the batch still counts
    if not 0 < moment < LATEST_TIMESTAMP:
        return None
    detail = event.get("type") or event.get("bounce_classification") or ""
    return {
        "sg_event_id": _text(event_id, 100),
        "message_id": _message_id(event),
        "event": _text(kind, 32),
        "detail": _text(detail, 64),
        "occurred_at": datetime.fromtimestamp(moment, UTC),
        "machine": bool(event.get("sg_machine_open")),
        "reason": _text(event.get("reason") or event.get("response") or "", 2000),
        "url": _text(event.get("url") or "", 2000),
        "received_at": now,
        "_agent": str(event.get("useragent") or ""),
        "_email": _text(event.get("email") or "", 320),
    }


def _text(value: object, limit: int) -> str:
    # A NUL is valid JSON ("\u0000") but no PostgreSQL text may hold one.
    return CONTROLS.sub("", str(value))[:limit]


def _keep_known_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    """Events whose message_id names no email of ours (a test send, a row since deleted, a
    stranger's id) are kept without it: they count in no funnel."""
    ids = {row["message_id"] for row in rows if row["message_id"] is not None}
    known = set(session.scalars(select(Message.id).where(Message.id.in_(ids)))) if ids else set()
    for row in rows:
        if row["message_id"] not in known:
            row["message_id"] = None


def _flag_scanner_clicks(session: Session, rows: list[dict[str, Any]]) -> None:
    clicks = [row for row in rows if row["event"] == "click" and row["message_id"]]
    sent = dict(
        session.execute(
            select(Message.id, Message.sent_at).where(
                Message.id.in_({row["message_id"] for row in clicks})
            )
        ).all()
    )
    for row in clicks:
        left = sent.get(row["message_id"])
        too_soon = left is not None and row["occurred_at"] - left < SCANNER_DELAY
        row["machine"] = bool(SCANNER_AGENTS.search(row["_agent"])) or too_soon


def read_batch(db: Database, settings: Settings, batch_id: int) -> int:
    """process_batch; a batch that fails for a reason of its own is marked read with the error
    (logged), never retried without end; a database that cannot answer is retried later."""
    try:
        return process_batch(db, settings, batch_id)
    except (DatabaseBusy, OperationalError):
        raise
    except Exception as exc:
        log.exception("webhook batch %d cannot be read", batch_id)
        with db.transaction() as session:
            session.execute(
                update(WebhookBatch)
                .where(WebhookBatch.id == batch_id, WebhookBatch.processed_at.is_(None))
                .values(processed_at=utcnow(), error=f"cannot be read: {exc}"[:2000])
            )
        return 0


def process_batch(db: Database, settings: Settings, batch_id: int) -> int:
    """Read a kept batch once: store its new events, suppress what must be; the number of new
    events (0 for a batch already read)."""
    with db.transaction() as session:
        batch = session.get(WebhookBatch, batch_id, with_for_update=True)
        if batch is None or batch.processed_at is not None:
            return 0
        now = utcnow()
        try:
            events = parse_json(batch.body)
        except ValueError:
            events = None
        if not isinstance(events, list):
            batch.processed_at, batch.error = now, "the body is not a JSON array of events"
            return 0
        rows = [row for e in events if isinstance(e, dict) and (row := _row(e, now))]
        _keep_known_messages(session, rows)
        _flag_scanner_clicks(session, rows)
        new = _store(session, rows)
        addresses = {row["sg_event_id"]: row["_email"] for row in rows}
        _suppress(session, settings, [(*event[1:], addresses[event[0]]) for event in new])
        steps: dict[int, int] = {}
        for _, kind, message_id, _, machine in new:
            if message_id is not None:
                steps[message_id] = steps.get(message_id, 0) | step_of(kind, machine)
        funnel.mark(session, steps)
        batch.processed_at, batch.events = now, len(new)
        return len(new)


def _store(
    session: Session, rows: list[dict[str, Any]]
) -> list[tuple[str, str, int | None, str, bool]]:
    """Insert the events not seen before; (SendGrid's id, event, message id, detail, machine)
    of each new one."""
    if not rows:
        return []
    values = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
    unique = list({row["sg_event_id"]: row for row in values}.values())
    statement = insert_ignoring_duplicates(session, ProviderEvent, ProviderEvent.sg_event_id)
    inserted = session.execute(
        statement.returning(
            ProviderEvent.sg_event_id,
            ProviderEvent.event,
            ProviderEvent.message_id,
            ProviderEvent.detail,
            ProviderEvent.machine,
        ),
        unique,
    )
    return [tuple(row) for row in inserted]


def _suppress(
    session: Session, settings: Settings, new: list[tuple[str, int | None, str, bool, str]]
) -> None:
    """Hard bounces, spam reports and unsubscribes protect the sender without anyone acting:
    the address is the contact's of the email, or the event's own when no email of ours
    matches (a test send)."""
    reasons: dict[str, SuppressionReason] = {}
    by_message: dict[int, SuppressionReason] = {}
    for event, message_id, detail, _, address in new:
        if event == "bounce" and detail in ("bounce", "Invalid Address", "Mailbox Unavailable"):
            reason = SuppressionReason.HARD_BOUNCE
        elif event in SUPPRESSING:
            reason = SUPPRESSING[event]
        else:
            continue
        if message_id is not None:
            by_message[message_id] = reason
        elif address:
            reasons[address] = reason
    if by_message:
        addresses = session.execute(
            select(Message.id, Contact.email)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.id.in_(by_message))
        ).all()
        reasons.update({email: by_message[mid] for mid, email in addresses if email})
    for email, reason in reasons.items():
        try:
            address = clean_email(email)
        except InvalidEmail:
            continue  # not an address: nothing to protect
        suppress(session, settings, address, reason)


def unread_batches(session: Session, older_than: datetime) -> list[int]:
    """Batches kept but not read since `older_than` (their task was lost)."""
    return list(
        session.scalars(
            select(WebhookBatch.id).where(
                WebhookBatch.processed_at.is_(None), WebhookBatch.received_at < older_than
            )
        )
    )
