"""The SMTP backend against a local aiosmtpd sink: what arrives, connection reuse, error mapping."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from service.config import Settings
from service.mail.backends.smtp import SmtpBackend
from service.mail.envelope import Address, Batch, Result
from tests.mail.test_mime import CALENDAR, guest, invitation
from tests.servers import free_port
from tests.standins.smtp import SmtpSink


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A fresh SMTP sink for one test."""
    with SmtpSink() as server:
        yield server


def backend_for(settings: Settings, url: str) -> SmtpBackend:
    """An SMTP backend sending to `url`, with a short timeout."""
    return SmtpBackend(replace(settings, mail_backend="smtp", smtp_url=url), timeout=5)


@pytest.fixture
def backend(settings: Settings, sink: SmtpSink) -> Iterator[SmtpBackend]:
    """An SMTP backend sending to the sink."""
    smtp = backend_for(settings, sink.url)
    yield smtp
    smtp.close()


def batch_of(count: int, start: int = 1) -> Batch:
    """An invitation to `count` guests, outbox ids from `start`."""
    return Batch(invitation(), tuple(guest(i) for i in range(start, start + count)))


def test_sink_receives_valid_mime_with_both_parts_calendar_and_headers(
    backend: SmtpBackend, sink: SmtpSink
) -> None:
    [outcome] = backend.send(batch_of(1, start=7))

    assert outcome.result is Result.SENT
    [received] = sink.messages
    assert received.mail_from == "contact@lelabo-ess.example.org"
    assert received.rcpt_tos == ("elise.7@example.org",)
    message = received.parsed()
    assert message["Message-ID"] == outcome.provider_id
    assert message["Reply-To"].addresses[0].addr_spec == "r+tok7@reply.example.org"
    assert message["List-Unsubscribe"] == "<https://convier.example.org/u/tok7>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"] == "Élise, rencontre nationale des Pôles Territoriaux"
    assert "Bonjour Élise," in message.get_body(("plain",)).get_content()
    assert "Bonjour Élise," in message.get_body(("html",)).get_content()
    calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert [c.get_param("method") for c in calendars] == ["REQUEST"]
    [ics] = message.iter_attachments()
    assert ics.get_content() == CALENDAR


def test_one_connection_serves_a_batch_of_50_and_the_next_batch(
    backend: SmtpBackend, sink: SmtpSink
) -> None:
    first = backend.send(batch_of(50))
    second = backend.send(batch_of(10, start=51))

    assert {o.result for o in first + second} == {Result.SENT}
    assert sink.count == 60
    assert sink.connections == 1
    assert len({o.provider_id for o in first + second}) == 60


def test_a_connection_closed_by_the_server_between_batches_is_reopened(
    backend: SmtpBackend, sink: SmtpSink
) -> None:
    backend.send(batch_of(2))
    sink.drop_connections()

    outcomes = backend.send(batch_of(2, start=3))

    assert [o.result for o in outcomes] == [Result.SENT, Result.SENT]
    assert sink.count == 4
    assert sink.connections == 2


def test_temporary_failure_451_is_retried_later(backend: SmtpBackend, sink: SmtpSink) -> None:
    sink.defer_next(reply="451 4.7.1 Greylisted, try later")

    outcomes = backend.send(batch_of(2))

    assert outcomes[0].result is Result.RETRY
    assert outcomes[0].error == "451 4.7.1 Greylisted, try later"
    assert outcomes[1].result is Result.SENT
    assert sink.connections == 1


def test_refused_address_550_fails_with_the_servers_words(
    backend: SmtpBackend, sink: SmtpSink
) -> None:
    sink.refuse("elise.2@example.org", "550 5.1.1 <elise.2@example.org>: user unknown")

    outcomes = backend.send(batch_of(3))

    assert [o.result for o in outcomes] == [Result.SENT, Result.FAILED, Result.SENT]
    assert outcomes[1].error == "550 5.1.1 <elise.2@example.org>: user unknown"
    assert outcomes[1].provider_id == ""
    assert [m.rcpt_tos for m in sink.messages] == [
        ("elise.1@example.org",),
        ("elise.3@example.org",),
    ]


def test_message_refused_after_the_data_fails(backend: SmtpBackend, sink: SmtpSink) -> None:
    sink.reject_next_data("554 5.7.1 Message rejected as spam")

    outcomes = backend.send(batch_of(2))

    assert [o.result for o in outcomes] == [Result.FAILED, Result.SENT]
    assert outcomes[0].error == "554 5.7.1 Message rejected as spam"


def test_temporary_failure_after_the_data_is_retried(backend: SmtpBackend, sink: SmtpSink) -> None:
    sink.reject_next_data("452 4.3.1 Insufficient system storage")

    [outcome] = backend.send(batch_of(1))

    assert outcome.result is Result.RETRY


def test_disconnect_after_the_data_is_uncertain_and_the_next_one_reconnects(
    backend: SmtpBackend, sink: SmtpSink
) -> None:
    sink.disconnect_after_next_data()

    outcomes = backend.send(batch_of(2))

    assert outcomes[0].result is Result.UNCERTAIN
    assert outcomes[0].provider_id  # the Message-ID to look for before sending it again
    assert "no reply after the message was sent" in outcomes[0].error
    assert outcomes[1].result is Result.SENT
    assert sink.connections == 2


def test_unreachable_server_retries_the_whole_batch(settings: Settings) -> None:
    smtp = backend_for(settings, f"smtp://127.0.0.1:{free_port()}")

    outcomes = smtp.send(batch_of(3))

    assert [o.result for o in outcomes] == [Result.RETRY] * 3
    assert all("127.0.0.1" in o.error for o in outcomes)
    smtp.close()


def test_unsafe_recipient_fails_alone(backend: SmtpBackend, sink: SmtpSink) -> None:
    bad = guest(2, to=Address("a(comment)@example.org"))
    batch = Batch(invitation(), (guest(1), bad, guest(3)))

    outcomes = backend.send(batch)

    assert [o.result for o in outcomes] == [Result.SENT, Result.FAILED, Result.SENT]
    assert sink.count == 2


def test_login_with_credentials_from_the_url(settings: Settings) -> None:
    with SmtpSink(credentials=("convier", "p@ss:word")) as sink:
        good = backend_for(settings, f"smtp://convier:p%40ss%3Aword@{sink.host}:{sink.port}")
        wrong = backend_for(settings, f"smtp://convier:nope@{sink.host}:{sink.port}")

        assert [o.result for o in good.send(batch_of(1))] == [Result.SENT]
        refused = wrong.send(batch_of(1))
        good.close()
        wrong.close()

    assert refused[0].result is Result.RETRY
    assert "535" in refused[0].error
    assert "nope" not in refused[0].error
    assert sink.count == 1
