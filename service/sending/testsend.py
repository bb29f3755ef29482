"""One email of a campaign sent now to one address, outside the campaign and its counts: no
outbox row is written."""

from __future__ import annotations

from service.campaigns import services
from service.config import Settings
from service.db import Database
from service.errors import DomainError, Invalid
from service.mail.backends import get_backend
from service.mail.envelope import Batch, Result, UnsafeHeader
from service.sending.preview import campaign_email


class NotSent(DomainError):
    """The mail backend did not accept the test email; the message gives its answer."""

    status = 502
    code = "not_sent"


def send_test_email(db: Database, settings: Settings, campaign_id: int, email: str) -> None:
    """Render the campaign's email as `email` would get it (their own links when they are a
    contact, a sample person's otherwise) and send it through the configured backend."""
    with db.transaction(write=False) as session:
        campaign = services.get(session, campaign_id)
        try:
            content, recipient = campaign_email(session, settings, campaign, email)
        except UnsafeHeader as exc:
            raise Invalid("to", str(exc)) from exc
    # Sent outside the transaction: no database connection waits on the mail provider.
    backend = get_backend(settings)
    try:
        [outcome] = backend.send(Batch(content, (recipient,)))
    finally:
        backend.close()
    if outcome.result is not Result.SENT:
        raise NotSent(f"not sent ({outcome.result}): {outcome.error}")
