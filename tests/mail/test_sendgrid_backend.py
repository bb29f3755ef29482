"""The SendGrid backend, with the real `sendgrid` library talking to the SendGrid stand-in:
requests are built and split as SendGrid needs, and every answer maps to an outcome."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator

import pytest

from service.campaigns.models import CampaignKind
from service.config import Settings
from service.mail.backends import get_backend
from service.mail.backends.sendgrid import (
    ActivityUnavailable,
    SendGridBackend,
    accepted_message_ids,
)
from service.mail.envelope import Address, Attachment, Batch, Content, Recipient, Result
from service.sending.testsend import send_test_email
from tests.campaigns.conftest import new_campaign
from tests.standins.sendgrid import API_KEY, Fault, SendGridStandIn

UNSUBSCRIBE_POST = "List-Unsubscribe=One-Click"


@pytest.fixture
def sendgrid_settings(settings: Settings, standin: SendGridStandIn) -> Settings:
    """Settings that send through the stand-in."""
    return dataclasses.replace(
        settings,
        mail_backend="sendgrid",
        sendgrid_api_key=API_KEY,
        sendgrid_api_host=standin.url,
    )


@pytest.fixture
def backend(sendgrid_settings: Settings) -> Iterator[SendGridBackend]:
    """The backend under test."""
    sender = SendGridBackend(sendgrid_settings)
    yield sender
    sender.close()


def content(**changes: object) -> Content:
    """An invitation's content, with tags for each recipient's values."""
    shared = Content(
        sender=Address("contact@labo.example.org", "Le Labo de l'ESS"),
        subject="%%first_name%%, rencontre nationale des PTCE",
        text="Bonjour %%first_name%%,\nInscription : %%link%%",
        html='<p>Bonjour %%first_name.html%%,</p><a href="%%link.html%%">S\'inscrire</a>',
        reply_to=Address("r+%%reply%%@reply.example.org"),
        categories=("invitation",),
        headers={"X-Campaign": "c7"},
    )
    return dataclasses.replace(shared, **changes)


def recipient(n: int, email: str = "", name: str = "", **changes: object) -> Recipient:
    """Recipient n, with its substitutions and one-click unsubscribe headers."""
    person = Recipient(
        message_id=n,
        to=Address(email or f"invitee{n}@example.org", name),
        substitutions={
            "first_name": name or f"Invité {n}",
            "link": f"https://convier.example.org/i/{n}?lang=fr&list=2",
            "reply": f"tok{n}",
        },
        headers={
            "List-Unsubscribe": f"<https://convier.example.org/u/{n}>",
            "List-Unsubscribe-Post": UNSUBSCRIBE_POST,
        },
    )
    return dataclasses.replace(person, **changes)


def batch(*recipients: Recipient, **changes: object) -> Batch:
    """The invitation for these recipients."""
    return Batch(content(**changes), recipients)


def everyone(count: int) -> tuple[Recipient, ...]:
    """Recipients 1 to count."""
    return tuple(recipient(n) for n in range(1, count + 1))


def test_sends_2500_recipients_as_3_requests_each_personalised(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    outcomes = backend.send(batch(*everyone(2500)))

    assert backend.batch_size == 1000
    assert [len(r.body["personalizations"]) for r in standin.requests()] == [1000, 1000, 500]
    deliveries = {int(d.custom_args["message_id"]): d for d in standin.deliveries()}
    assert [o.message_id for o in outcomes] == list(range(1, 2501))
    assert {o.result for o in outcomes} == {Result.SENT}
    assert all(o.provider_id == deliveries[o.message_id].x_message_id for o in outcomes)
    for n, delivery in deliveries.items():
        assert delivery.to == (f"invitee{n}@example.org",)
        assert delivery.subject == f"Invité {n}, rencontre nationale des PTCE"
        link = f"https://convier.example.org/i/{n}?lang=fr&list=2"
        assert delivery.text == f"Bonjour Invité {n},\nInscription : {link}"
        assert delivery.html == (
            f'<p>Bonjour Invité {n},</p><a href="{link.replace("&", "&amp;")}">S\'inscrire</a>'
        )
        assert delivery.reply_to == f"r+tok{n}@reply.example.org"
        assert delivery.custom_args == {"message_id": str(n)}
        assert delivery.headers == {
            "X-Campaign": "c7",
            "List-Unsubscribe": f"<https://convier.example.org/u/{n}>",
            "List-Unsubscribe-Post": UNSUBSCRIBE_POST,
        }
        assert delivery.categories == ("invitation",)
        assert delivery.sender == "contact@labo.example.org"


def test_html_gets_escaped_values_and_text_raw_ones(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    name = "<b>O'Brien & Co</b>"

    [outcome] = backend.send(batch(recipient(1, name=name)))

    [delivery] = standin.deliveries()
    assert outcome.result == Result.SENT
    assert delivery.html is not None
    assert "<p>Bonjour &lt;b&gt;O&#39;Brien &amp; Co&lt;/b&gt;,</p>" in delivery.html
    assert delivery.text is not None
    assert delivery.text.startswith(f"Bonjour {name},")
    assert delivery.subject == f"{name}, rencontre nationale des PTCE"


def test_an_address_twice_goes_in_separate_requests(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    people = [
        recipient(1, "ana@example.org"),
        recipient(2, "bob@example.org"),
        recipient(3, "ANA@Example.org"),
        recipient(4, "ana@example.org"),
    ]

    outcomes = backend.send(batch(*people))

    assert [(o.message_id, o.result) for o in outcomes] == [(n, Result.SENT) for n in (1, 2, 3, 4)]
    per_request = [
        [p["custom_args"]["message_id"] for p in r.body["personalizations"]]
        for r in standin.requests()
    ]
    assert per_request == [["1", "2"], ["3"], ["4"]]


def test_own_attachments_go_in_a_request_of_their_own(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    logo = Attachment("logo.png", "image/png", b"\x89PNG logo", content_id="logo")
    ticket = Attachment("billet.pdf", "application/pdf", b"%PDF ticket 2")
    people = [recipient(1), recipient(2, attachments=(ticket,)), recipient(3)]

    outcomes = backend.send(batch(*people, attachments=(logo,)))

    assert [o.result for o in outcomes] == [Result.SENT] * 3
    assert len(standin.requests()) == 2
    attached = {
        d.custom_args["message_id"]: [(a.filename, a.data, a.disposition) for a in d.attachments]
        for d in standin.deliveries()
    }
    inline_logo = ("logo.png", b"\x89PNG logo", "inline")
    assert attached == {
        "1": [inline_logo],
        "3": [inline_logo],
        "2": [inline_logo, ("billet.pdf", b"%PDF ticket 2", "attachment")],
    }
    [logo_sent] = standin.deliveries()[0].attachments
    assert logo_sent.content_id == "logo"


def test_a_name_with_a_comma_is_still_sent(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    [outcome] = backend.send(batch(recipient(1, name="Dupont, Jean; DG")))

    assert outcome.result == Result.SENT
    [request] = standin.requests()
    assert request.body["personalizations"][0]["to"] == [
        {"email": "invitee1@example.org", "name": "Dupont Jean DG"}
    ]


def test_a_rate_limit_retries_the_whole_batch_after_the_reset_time(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    reset_at = int(time.time()) + 120
    standin.inject(Fault.rate_limited(reset_at=reset_at))

    outcomes = backend.send(batch(*everyone(1500)))

    assert {(o.result, o.not_before, o.error) for o in outcomes} == {
        (Result.RETRY, reset_at, "too many requests")
    }
    # The second request was not sent: the stand-in would have accepted it.
    assert standin.requests() == []


def test_a_rate_limit_without_reset_time_waits_a_minute(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    standin.inject(Fault.rate_limited())
    before = time.time()

    [outcome] = backend.send(batch(recipient(1)))

    assert outcome.result == Result.RETRY
    assert outcome.not_before is not None
    assert before + 60 <= outcome.not_before <= time.time() + 60


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried(
    backend: SendGridBackend, standin: SendGridStandIn, status: int
) -> None:
    standin.inject(Fault.server_error(status, "Internal error, try again"))

    outcomes = backend.send(batch(*everyone(2)))

    assert [(o.result, o.not_before, o.error) for o in outcomes] == [
        (Result.RETRY, None, "Internal error, try again")
    ] * 2


def test_a_bad_request_fails_with_sendgrids_message(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    message = "The from address does not match a verified Sender Identity."
    standin.inject(Fault.bad_request(message))

    outcomes = backend.send(batch(*everyone(2)))

    assert [(o.result, o.error) for o in outcomes] == [(Result.FAILED, message)] * 2


def test_a_request_sendgrid_refuses_fails_with_each_message(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    [outcome] = backend.send(batch(recipient(1), text=""))

    assert outcome.result == Result.FAILED
    assert outcome.error == "The content value must be a string at least one character in length."
    assert standin.requests() == []


def test_a_wrong_key_fails(sendgrid_settings: Settings, standin: SendGridStandIn) -> None:
    wrong = dataclasses.replace(sendgrid_settings, sendgrid_api_key="SG.revoked")

    [outcome] = SendGridBackend(wrong).send(batch(recipient(1)))

    assert outcome.result == Result.FAILED
    assert "authorization grant is invalid" in outcome.error


def test_a_dropped_connection_is_uncertain_and_the_activity_api_settles_it(
    backend: SendGridBackend, standin: SendGridStandIn, sendgrid_settings: Settings
) -> None:
    standin.inject(Fault.accept_then_drop())

    outcomes = backend.send(batch(*everyone(1500)))

    assert [o.result for o in outcomes] == [Result.UNCERTAIN] * 1000 + [Result.SENT] * 500
    assert all(o.error.startswith("no answer from SendGrid") for o in outcomes[:1000])
    dropped, answered = standin.requests()
    assert dropped.body["personalizations"][0]["custom_args"] == {"message_id": "1"}
    assert answered.body["personalizations"][0]["custom_args"] == {"message_id": "1001"}
    asked = [1, 2, 500, 1000, 1500, 9999]
    assert accepted_message_ids(sendgrid_settings, asked) == {1, 2, 500, 1000, 1500}


def test_an_unanswered_request_is_uncertain_after_the_timeout(
    backend: SendGridBackend, standin: SendGridStandIn
) -> None:
    backend.timeout = 0.3
    standin.inject(Fault.slow(2.0))

    [outcome] = backend.send(batch(recipient(1)))

    assert outcome.result == Result.UNCERTAIN


def closed_port() -> int:
    """A port on which nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_sendgrid_is_retried(sendgrid_settings: Settings) -> None:
    nowhere = dataclasses.replace(
        sendgrid_settings, sendgrid_api_host=f"http://127.0.0.1:{closed_port()}"
    )

    outcomes = SendGridBackend(nowhere).send(batch(*everyone(2)))

    assert [(o.result, o.not_before) for o in outcomes] == [(Result.RETRY, None)] * 2
    assert all("unreachable" in o.error for o in outcomes)
    with pytest.raises(ActivityUnavailable):
        accepted_message_ids(nowhere, [1])


def test_the_configured_backend_is_this_one(sendgrid_settings: Settings) -> None:
    assert isinstance(get_backend(sendgrid_settings), SendGridBackend)


def test_an_email_without_an_outbox_row_carries_no_id_of_ours(
    db, factory, sendgrid_settings, standin
):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.REMINDER)
    send_test_email(db, sendgrid_settings, campaign_id, "essai@example.org")

    [delivery] = standin.deliveries()
    assert delivery.custom_args == {}  # its events can never be taken for another email's
