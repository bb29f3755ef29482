"""The SendGrid stand-in checks requests as SendGrid does, records what it accepts, expands it
into the emails SendGrid would send, and plays the faults it is given."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.servers import ROOT, LogWatcher
from tests.standins.sendgrid import API_KEY, MAX_BODY_BYTES, Fault, SendGridStandIn


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A keep-alive HTTP client carrying the stand-in's key."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {API_KEY}"
        yield session


def to(email: str, **fields: Any) -> dict[str, Any]:
    """A personalization for one address."""
    return {"to": [{"email": email}], **fields}


def mail(*personalizations: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A valid Mail Send body, changed by `fields`."""
    body: dict[str, Any] = {
        "from": {"email": "contact@labo.example.org", "name": "Le Labo"},
        "subject": "Rencontre nationale",
        "content": [{"type": "text/plain", "value": "Bonjour"}],
        "personalizations": list(personalizations) or [to("ana@example.org")],
    }
    body.update(fields)
    return body


def send(http: requests.Session, standin: SendGridStandIn, body: Any) -> requests.Response:
    """POST /v3/mail/send."""
    return http.post(f"{standin.url}/v3/mail/send", json=body, timeout=30)


def error_fields(response: requests.Response) -> list[str | None]:
    """The `field` of each error SendGrid's error body lists."""
    return [error["field"] for error in response.json()["errors"]]


def test_accepts_with_202_an_empty_body_and_a_new_message_id(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    first = send(http, standin, mail())
    second = send(http, standin, mail())

    assert (first.status_code, first.content, second.status_code) == (202, b"", 202)
    ids = [first.headers["X-Message-Id"], second.headers["X-Message-Id"]]
    assert ids[0] != ids[1]
    assert [request.x_message_id for request in standin.requests()] == ids
    assert standin.delivery_count() == 2


def test_refuses_more_than_1000_personalizations(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    people = [to(f"p{i}@example.org") for i in range(1001)]

    refused = send(http, standin, mail(*people))
    accepted = send(http, standin, mail(*people[:1000]))

    assert refused.status_code == 400
    message = refused.json()["errors"][0]["message"]
    assert "limited to 1000 personalizations" in message
    assert "You have provided 1001 personalizations" in message
    assert accepted.status_code == 202
    assert standin.delivery_count() == 1000


def test_refuses_more_than_1000_recipients_in_all(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    people = [to(f"p{i}@example.org", cc=[{"email": f"c{i}@example.org"}]) for i in range(501)]

    response = send(http, standin, mail(*people))

    assert response.status_code == 400
    assert "limit of 1000 total recipients" in response.json()["errors"][0]["message"]
    assert standin.requests() == []


def test_refuses_the_same_address_twice_whatever_its_case(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    body = mail(to("ana@example.org"), to("bob@example.org"), to("ANA@Example.org"))

    response = send(http, standin, body)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"].startswith(
        "Each unique email address in the personalizations array should only be included once."
    )
    assert "ANA@Example.org" in error["message"]
    assert error["field"] == "personalizations.2.to.0.email"
    assert standin.requests() == []


def test_refuses_a_request_without_from(standin: SendGridStandIn, http: requests.Session) -> None:
    body = mail()
    del body["from"]

    response = send(http, standin, body)

    assert response.status_code == 400
    assert error_fields(response) == ["from.email"]
    assert "The from object must be provided" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Bearer SG.wrong", "The provided authorization grant is invalid, expired, or revoked"),
        (None, "authorization required"),
    ],
)
def test_refuses_a_bad_or_missing_key(
    standin: SendGridStandIn, authorization: str | None, message: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = requests.post(
        f"{standin.url}/v3/mail/send", json=mail(), headers=headers, timeout=30
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == message
    assert standin.requests() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (mail(headers={"Reply-To": "x@example.org"}), "headers.Reply-To"),
        (
            mail(to("ana@example.org", headers={"subject": "x"})),
            "personalizations.0.headers.subject",
        ),
        (mail(headers={"X-Count": 3}), "headers.X-Count"),
    ],
    ids=["top-level Reply-To", "personal Subject in lower case", "not a string"],
)
def test_refuses_reserved_or_malformed_headers(
    standin: SendGridStandIn, http: requests.Session, body: dict[str, Any], field: str
) -> None:
    response = send(http, standin, body)

    assert response.status_code == 400
    assert error_fields(response) == [field]
    assert standin.requests() == []


BAD_BODIES = [
    (mail(personalizations=[]), "personalizations"),
    (mail({"to": []}), "personalizations.0.to"),
    (mail({"to": [{"email": "not-an-address"}]}), "personalizations.0.to.0.email"),
    (mail({"to": [{"email": "a@example.org", "name": "Dupont, Jean"}]}),
     "personalizations.0.to.0.name"),
    (mail(subject=""), "subject"),
    (mail(content=[]), "content"),
    (mail(content=[{"type": "text/plain", "value": ""}]), "content.0.value"),
    (mail(content=[{"type": "text/html", "value": "<p>x</p>"},
                   {"type": "text/plain", "value": "x"}]), "content"),
    (mail(reply_to={"email": "a@example.org"}, reply_to_list=[{"email": "b@example.org"}]),
     "reply_to"),
    (mail(custom_args={"message_id": 12}), "custom_args.message_id"),
    (mail(to("a@example.org", custom_args={"message_id": 12})),
     "personalizations.0.custom_args.message_id"),
    (mail(to("a@example.org", substitutions={"%%n%%": None})),
     "personalizations.0.substitutions.%%n%%"),
    (mail(categories=[f"c{i}" for i in range(11)]), "categories"),
    (mail(categories=["x" * 256]), "categories.0"),
    (mail(attachments=[{"content": "aGVsbG8=", "type": "text/plain"}]), "attachments.0.filename"),
    (mail(attachments=[{"content": "not base64!", "filename": "a.txt"}]), "attachments.0.content"),
    (mail(attachments=[{"content": "aGVsbG8=", "filename": "a.png", "disposition": "inline"}]),
     "attachments.0.content_id"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field"), BAD_BODIES, ids=[field for _, field in BAD_BODIES])
def test_refuses_what_sendgrid_refuses(
    standin: SendGridStandIn, http: requests.Session, body: dict[str, Any], field: str
) -> None:
    response = send(http, standin, body)

    assert response.status_code == 400
    assert field in error_fields(response)
    assert all(error["message"] for error in response.json()["errors"])
    assert standin.requests() == []


def test_refuses_a_body_over_30_mb(standin: SendGridStandIn, http: requests.Session) -> None:
    body = mail(content=[{"type": "text/plain", "value": "x" * MAX_BODY_BYTES}])

    response = send(http, standin, body)

    assert response.status_code == 413
    assert standin.requests() == []


def test_expands_each_personalization_with_its_substitutions(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    body = mail(
        to("ana@example.org", substitutions={"%%name%%": "Ana", "%%reply%%": "t1",
                                             "%%name.html%%": "Ana"},
           custom_args={"message_id": "1"}, headers={"List-Unsubscribe": "<https://u/1>"}),
        to("bob@example.org", substitutions={"%%name%%": "%%reply%% & Bob", "%%reply%%": "t2",
                                             "%%name.html%%": "B&amp;B"},
           custom_args={"message_id": "2", "campaign": "override"}, subject="Hi %%name%%"),
        subject="Bonjour %%name%%",
        content=[{"type": "text/plain", "value": "Cher %%name%%"},
                 {"type": "text/html", "value": "<p>Cher %%name.html%%</p>"}],
        reply_to={"email": "r+%%reply%%@reply.example.org"},
        custom_args={"campaign": "7"},
        headers={"X-Campaign": "7"},
        categories=["invitation"],
        attachments=[{"content": base64.b64encode(b"BEGIN:VCALENDAR").decode(),
                      "filename": "event.ics", "type": "text/calendar"}],
    )  # fmt: skip

    response = send(http, standin, body)

    assert response.status_code == 202
    ana, bob = standin.deliveries()
    assert (ana.address, ana.subject, ana.text, ana.html, ana.reply_to) == (
        "ana@example.org", "Bonjour Ana", "Cher Ana", "<p>Cher Ana</p>",
        "r+t1@reply.example.org",
    )  # fmt: skip
    # One pass, as SendGrid: the tag inside Bob's value is not replaced in turn.
    assert (bob.subject, bob.text, bob.html, bob.reply_to) == (
        "Hi %%reply%% & Bob", "Cher %%reply%% & Bob", "<p>Cher B&amp;B</p>",
        "r+t2@reply.example.org",
    )  # fmt: skip
    assert ana.custom_args == {"campaign": "7", "message_id": "1"}
    assert bob.custom_args == {"campaign": "override", "message_id": "2"}
    assert ana.headers == {"X-Campaign": "7", "List-Unsubscribe": "<https://u/1>"}
    assert bob.headers == {"X-Campaign": "7"}
    assert ana.categories == bob.categories == ("invitation",)
    assert [(a.filename, a.data) for a in bob.attachments] == [("event.ics", b"BEGIN:VCALENDAR")]
    x_message_id = response.headers["X-Message-Id"]
    assert ana.x_message_id == bob.x_message_id == x_message_id
    assert ana.sg_message_id != bob.sg_message_id
    assert ana.sg_message_id.startswith(x_message_id)


def test_plays_queued_faults_in_order_then_answers_normally(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    standin.inject(
        Fault.rate_limited(reset_at=1_900_000_000),
        Fault.server_error(503, "Service Unavailable"),
        Fault.bad_request("The from address does not match a verified Sender Identity."),
    )

    answers = [send(http, standin, mail()) for _ in range(4)]

    assert [a.status_code for a in answers] == [429, 503, 400, 202]
    limited = answers[0]
    assert limited.json() == {"errors": [{"field": None, "message": "too many requests"}]}
    assert limited.headers["X-RateLimit-Reset"] == "1900000000"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Limit"]) > 0
    assert answers[1].json()["errors"][0]["message"] == "Service Unavailable"
    assert answers[2].json()["errors"][0]["message"].startswith("The from address")
    assert len(standin.requests()) == 1


def test_a_rate_limit_without_reset_time_has_no_rate_limit_headers(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    standin.inject(Fault.rate_limited())

    response = send(http, standin, mail())

    assert response.status_code == 429
    assert not any(name.lower().startswith("x-ratelimit") for name in response.headers)


def test_accept_then_drop_records_the_request_and_closes_unanswered(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    standin.inject(Fault.accept_then_drop())

    with pytest.raises(requests.ConnectionError):
        send(http, standin, mail(to("ana@example.org", custom_args={"message_id": "41"})))

    [accepted] = standin.requests()
    assert accepted.body["personalizations"][0]["custom_args"] == {"message_id": "41"}
    assert send(http, standin, mail()).status_code == 202


def test_a_slow_answer_comes_after_its_delay(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    standin.inject(Fault.slow(0.3))
    started = time.monotonic()

    response = send(http, standin, mail())

    assert response.status_code == 202
    assert time.monotonic() - started >= 0.3


def test_faults_and_records_are_driven_over_http(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    control = f"{standin.url}/_standin"
    queued = requests.post(
        f"{control}/inject",
        json={"faults": [{"kind": "rate_limit", "reset_at": 1_900_000_000},
                         {"kind": "error", "status": 500, "message": "boom"}]},
        timeout=30,
    )  # fmt: skip
    refused = requests.post(f"{control}/inject", json={"kind": "explode"}, timeout=30)
    pending = requests.get(f"{control}/count", timeout=30).json()

    statuses = [send(http, standin, mail()).status_code for _ in range(3)]
    counts = requests.get(f"{control}/count", timeout=30).json()
    listed = requests.get(f"{control}/deliveries", timeout=30).json()["deliveries"]
    bodies = requests.get(f"{control}/requests", timeout=30).json()["requests"]
    requests.post(f"{control}/reset", timeout=30)
    after_reset = requests.get(f"{control}/count", timeout=30).json()

    assert queued.json() == {"queued": 2}
    assert refused.status_code == 400
    assert pending["faults_pending"] == 2
    assert statuses == [429, 500, 202]
    accepted_at = counts.pop("last_accepted_at")
    assert counts == {"requests": 1, "deliveries": 1, "faults_pending": 0}
    assert accepted_at == bodies[0]["received_at"]
    assert [d["to"] for d in listed] == [["ana@example.org"]]
    assert bodies[0]["body"]["subject"] == "Rencontre nationale"
    assert after_reset == {
        "requests": 0,
        "deliveries": 0,
        "faults_pending": 0,
        "last_accepted_at": 0,
    }


def test_activity_query_finds_accepted_messages_by_custom_arg(
    standin: SendGridStandIn, http: requests.Session
) -> None:
    body = mail(*[to(f"p{i}@example.org", custom_args={"message_id": str(i)}) for i in range(5)])
    send(http, standin, body)
    messages = f"{standin.url}/v3/messages"

    one = http.get(messages, params={"query": "unique_args['message_id']=\"3\"", "limit": 10})
    several = http.get(messages, params={"query": 'unique_args[\'message_id\'] IN ("1","4","99")'})
    unknown = http.get(messages, params={"query": "unique_args['message_id']=\"99\""})
    unsupported = http.get(messages, params={"query": 'subject="x"'})
    anonymous = requests.get(
        messages, params={"query": "unique_args['message_id']=\"3\""}, timeout=30
    )

    [found] = one.json()["messages"]
    assert found["to_email"] == "p3@example.org"
    assert found["status"] == "delivered"
    assert found["msg_id"].startswith(standin.requests()[0].x_message_id)
    assert [m["to_email"] for m in several.json()["messages"]] == [
        "p1@example.org",
        "p4@example.org",
    ]
    assert unknown.json() == {"messages": []}
    assert unsupported.status_code == 400
    assert anonymous.status_code == 401


def test_records_many_concurrent_requests(standin: SendGridStandIn) -> None:
    def post(i: int) -> str:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {API_KEY}"
            ids = []
            for j in range(25):
                response = send(session, standin, mail(to(f"p{i}-{j}@example.org")))
                ids.append(response.headers["X-Message-Id"])
            return ",".join(ids)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answered = ",".join(pool.map(post, range(8))).split(",")

    assert standin.delivery_count() == 200
    assert len(set(answered)) == 200
    assert {r.x_message_id for r in standin.requests()} == set(answered)


def test_runs_as_a_process_driven_over_http() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.standins.sendgrid", "--port", "0", "--api-key", "SG.k"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    log = LogWatcher(process.stdout)
    try:
        log.wait_for("listening on", timeout=30)
        url = log.lines[0].rsplit(" ", 1)[1]
        requests.post(f"{url}/_standin/inject", json={"kind": "drop"}, timeout=30)
        headers = {"Authorization": "Bearer SG.k"}
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{url}/v3/mail/send", json=mail(), headers=headers, timeout=30)
        answered = requests.post(f"{url}/v3/mail/send", json=mail(), headers=headers, timeout=30)
        counts = requests.get(f"{url}/_standin/count", timeout=30).json()
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()

    assert answered.status_code == 202
    assert counts.pop("last_accepted_at") > 0
    assert counts == {"requests": 2, "deliveries": 2, "faults_pending": 0}
    assert process.returncode == 0
