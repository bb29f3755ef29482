"""A stand-in for SendGrid's v3 Mail Send API on 127.0.0.1, for tests and benchmarks.

It checks each request as SendGrid documents it does (sizes, duplicates, reserved headers…),
answers 202 with an empty body and a unique X-Message-Id, and keeps every accepted request;
`deliveries()` expands them into one email per personalization with its substitutions applied,
as SendGrid would send them. The next answers can be replaced by faults, from Python
(`inject(Fault.rate_limited(...))`) or over HTTP by another process:

    POST /_standin/inject      {"faults": [{"kind": "rate_limit", "reset_at": 1767225600}]}
                               kinds: rate_limit (reset_at, optional), error (status, message),
                               drop (accept, then close without answering), delay (seconds);
                               every fault takes "delay" (seconds to wait before answering)
    GET  /_standin/count       {"requests": 3, "deliveries": 2500, "faults_pending": 0}
    GET  /_standin/deliveries  ?offset=0&limit=100, each attachment's data in base64
    GET  /_standin/requests    the accepted bodies, with their X-Message-Id
    POST /_standin/reset       forget everything recorded and every pending fault

The Email Activity API answers `GET /v3/messages?limit=10&query=…` for the two query forms the
outbox needs: `unique_args['message_id']="12"` and `unique_args['message_id'] IN ("12","13")`.

As a process: `python -m tests.standins.sendgrid --port 8025 [--api-key KEY]`; it prints
"SendGrid stand-in listening on http://127.0.0.1:8025" once it accepts connections.

Modules, by role:

    faults.py            Fault, the programmed answers
    checks.py            check_mail_send, SendGrid's 400s; with fields.py (error entries,
                         shared field checks), personalizations.py and content.py
    records.py           AcceptedRequest, DeliveredAttachment, Delivery
    expansion.py         substituter, expand: an accepted request into its emails
    activity.py          parse_activity_query, and the messages the Activity API lists
    server.py            the HTTP server and its routes
    standin.py           SendGridStandIn, API_KEY, MAX_BODY_BYTES
    __main__.py          main, the process
"""

from tests.standins.sendgrid.activity import parse_activity_query
from tests.standins.sendgrid.checks import MAX_CATEGORIES, MAX_CATEGORY_LENGTH, check_mail_send
from tests.standins.sendgrid.expansion import expand, substituter
from tests.standins.sendgrid.faults import FAULT_KINDS, Fault
from tests.standins.sendgrid.fields import ERRORS_HELP, RESERVED_HEADERS
from tests.standins.sendgrid.personalizations import (
    MAX_CUSTOM_ARGS_BYTES,
    MAX_PERSONALIZATIONS,
    MAX_RECIPIENTS,
)
from tests.standins.sendgrid.records import AcceptedRequest, DeliveredAttachment, Delivery
from tests.standins.sendgrid.server import RATE_LIMIT
from tests.standins.sendgrid.standin import API_KEY, MAX_BODY_BYTES, SendGridStandIn

__all__ = [
    "API_KEY",
    "ERRORS_HELP",
    "FAULT_KINDS",
    "MAX_BODY_BYTES",
    "MAX_CATEGORIES",
    "MAX_CATEGORY_LENGTH",
    "MAX_CUSTOM_ARGS_BYTES",
    "MAX_PERSONALIZATIONS",
    "MAX_RECIPIENTS",
    "RATE_LIMIT",
    "RESERVED_HEADERS",
    "AcceptedRequest",
    "DeliveredAttachment",
    "Delivery",
    "Fault",
    "SendGridStandIn",
    "check_mail_send",
    "expand",
    "parse_activity_query",
    "substituter",
]
