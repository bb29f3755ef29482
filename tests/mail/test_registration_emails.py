"""The emails of a registration end to end: the registration service queues them, a real worker
renders and sends them through SMTP, and the sink gets mail a client can read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.mail.attachments import qr_png
from service.mail.models import MessageStatus
from service.registrations import services
from service.registrations.models import Registration
from service.registrations.tickets import registration_ticket
from tests.helpers import act
from tests.mail.conftest import all_in
from tests.servers import celery_worker, wait_for
from tests.standins.smtp import SmtpSink

pytestmark = pytest.mark.slow


def test_a_registration_gets_its_confirmation_with_calendar_and_ticket(db, factory, settings):
    event_id = factory.event(capacity=1, title="Rencontre nationale des PTCE")
    first, second = factory.invitees(event_id, 2)
    with SmtpSink() as sink, celery_worker({"MAIL_BACKEND": "smtp", "SMTP_URL": sink.url}):
        act(db, first.invitation_id, services.register, {})
        act(db, second.invitation_id, services.register, {})
        wait_for(lambda: sink.count == 2, 60, "the confirmation and the waitlist notice")
        messages = {m.rcpt_tos[0]: m.parsed() for m in sink.messages}
    assert all_in(db, MessageStatus.SENT, 2)

    confirmation = messages[first.email]
    assert "Rencontre nationale des PTCE" in confirmation["Subject"]
    assert confirmation["To"].addresses[0].addr_spec == first.email
    assert "List-Unsubscribe" not in confirmation  # a transactional email, not a campaign
    text = confirmation.get_body(("plain",)).get_content()
    html = confirmation.get_body(("html",)).get_content()
    # The link is signed anew when the email is made: the same payload, a later timestamp.
    link = f"/r/{first.token.split('.')[0]}."
    assert link in text
    assert link in html
    parts = {part.get_content_type(): part for part in confirmation.walk()}
    assert "METHOD:REQUEST" in parts["text/calendar"].get_content()
    # The QR code is the ticket, which lets the person in and opens nothing (not the link).
    with db.transaction(write=False) as session:
        registration = session.scalar(
            select(Registration).where(Registration.invitation_id == first.invitation_id)
        )
        ticket = registration_ticket(settings, registration)
    assert parts["image/png"].get_content() == qr_png(ticket)
    assert parts["image/png"]["Content-ID"] in (f"<{cid}>" for cid in ("ticket@convier",))

    notice = messages[second.email]
    assert "1" in notice.get_body(("plain",)).get_content()  # the place in the waitlist
    assert "text/calendar" not in {part.get_content_type() for part in notice.walk()}
