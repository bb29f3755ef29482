"""The unsubscribe link of every campaign email (GET shows the page, POST unsubscribes; the POST
is also RFC 8058's one-click unsubscribe, which mail providers send with no cookie and no CSRF
token: the signed token in the URL is the only credential, as for the personal link), and
SendGrid's Event Webhook."""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, render_template, request

from service.config import MEGABYTE
from service.extensions import csrf, get_db, get_settings
from service.inputs import parse_json
from service.mail.dispatch import events_after_commit
from service.tracking import provider_events, replies
from service.tracking.unsubscribe import contact_of, is_unsubscribed, masked, unsubscribe

tracking = Blueprint("tracking", __name__)
INBOUND_MAX_BYTES = 32 * MEGABYTE  # SendGrid's 30 MB, and the multipart around it


@tracking.get("/u/<token>")
def show(token: str) -> str:
    """Whose address this is (masked) and the button; changes nothing."""
    with get_db().transaction(write=False) as session:
        contact = contact_of(session, get_settings(), token)
        done = is_unsubscribed(session, get_settings(), contact)
        return render_template(
            "public/unsubscribe.html", token=token, address=masked(contact.email), done=done
        )


@tracking.post("/u/<token>")
@csrf.exempt
def act(token: str) -> str:
    """Unsubscribe: from the page's button, or a provider's one-click POST."""
    with get_db().transaction() as session:
        contact = contact_of(session, get_settings(), token)
        unsubscribe(session, get_settings(), contact)
        address = masked(contact.email)
    return render_template("public/unsubscribe.html", token=token, address=address, done=True)


@tracking.post("/webhooks/sendgrid/events")
@csrf.exempt
def sendgrid_events() -> tuple[dict[str, object], int]:
    """SendGrid's Event Webhook: verified on the raw body, kept, read by a worker; answered at
    once so that SendGrid does not retry a batch we have."""
    settings = get_settings()
    body = request.get_data(cache=False)
    try:
        payload = provider_events.verify(
            settings,
            body,
            request.headers.get(provider_events.SIGNATURE_HEADER),
            request.headers.get(provider_events.TIMESTAMP_HEADER),
            time.time(),
        )
    except provider_events.Refused as refusal:
        return {"error": "refused", "message": str(refusal)}, 403
    with get_db().transaction() as session:
        batch_id = provider_events.receive(session, payload)
        events_after_commit(session, batch_id)
    return {"received": batch_id}, 200


@tracking.post("/webhooks/sendgrid/inbound/<secret>")
@csrf.exempt
def sendgrid_inbound(secret: str) -> tuple[dict[str, object], int]:
    """SendGrid's Inbound Parse (raw mode): a reply to one of our reply addresses."""
    settings = get_settings()
    expected = settings.sendgrid_inbound_secret
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        return {"error": "refused", "message": "unknown Inbound Parse URL"}, 403
    # SendGrid posts messages of up to 30 MB, the raw message as one form field.
    request.max_content_length = request.max_form_memory_size = INBOUND_MAX_BYTES
    raw = request.form.get("email")
    if not raw:
        return {"error": "invalid", "message": "email: the raw message is missing"}, 400
    try:
        envelope = parse_json(request.form.get("envelope") or "{}")
    except ValueError:
        envelope = {}
    recipients = envelope.get("to") if isinstance(envelope, dict) else None
    envelope_to = [str(r) for r in recipients] if isinstance(recipients, list) else []
    with get_db().transaction() as session:
        reply = replies.receive(session, settings, raw.encode("utf-8"), envelope_to)
        answer = {
            "reply": reply.id,
            "kind": str(reply.kind),
            "matched": reply.invitation_id is not None,
        }
    return answer, 200
