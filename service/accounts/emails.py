"""The emails of back-office accounts: a one-time sign-in link, asked for on the sign-in page and
sent by a worker (the page answers at once, the same for every address). Accounts are not
contacts: these emails have no outbox row and no event."""

from __future__ import annotations

import logging
from email.utils import parseaddr

from service.accounts.models import User
from service.accounts.services import sign_in_link
from service.config import Settings
from service.db import Database
from service.mail.backends import Backend
from service.mail.envelope import NO_ROW, Address, Batch, Content, Recipient, Result
from service.mail.render import render_folder

log = logging.getLogger(__name__)


def send_sign_in_link(
    db: Database, settings: Settings, backend: Backend, user_id: int, language: str
) -> bool:
    """Email an active account a new one-time sign-in link; False when there is no such
    account or the provider refused the email (logged: the person asks an admin)."""
    with db.transaction(write=False) as session:
        user = session.get(User, user_id)
        if user is None or user.disabled_at is not None:
            return False
        link, address = sign_in_link(settings, user), user.email
    rendered = render_folder("account/sign_in", language, {"link": link})
    sender_name, sender_email = parseaddr(settings.mail_from)
    content = Content(
        sender=Address(sender_email, sender_name),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        categories=("account",),
    )
    [outcome] = backend.send(Batch(content, (Recipient(NO_ROW, Address(address)),)))
    if outcome.result is not Result.SENT:
        log.warning("sign-in link to account %s not sent: %s", user_id, outcome.error)
    return outcome.result is Result.SENT
