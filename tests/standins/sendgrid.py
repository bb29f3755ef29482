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
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import secrets
import signal
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_KEY = "SG.standin-key"  # the key the stand-in accepts unless told another one
MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000  # to + cc + bcc, across the personalizations of one request
MAX_BODY_BYTES = 30 * 1024 * 1024
MAX_CATEGORIES = 10
MAX_CATEGORY_LENGTH = 255
MAX_CUSTOM_ARGS_BYTES = 10_000
RESERVED_HEADERS = (
    "x-sg-id", "x-sg-eid", "received", "dkim-signature", "Content-Type",
    "Content-Transfer-Encoding", "To", "From", "Subject", "Reply-To", "CC", "BCC",
)  # fmt: skip
ERRORS_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
FAULT_KINDS = ("rate_limit", "error", "drop", "delay", "late")
RATE_LIMIT = 600  # what the X-RateLimit-Limit header of a 429 says


# ---------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """One programmed answer to a coming Mail Send request, in place of the normal one."""

    kind: str  # one of FAULT_KINDS
    status: int = 0  # for "error"
    message: str = ""  # for "error": the message of SendGrid's error body
    reset_at: int | None = None  # for "rate_limit": X-RateLimit-Reset; None sends no such header
    delay: float = 0.0  # seconds to wait before answering

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            kinds = ", ".join(FAULT_KINDS)
            raise ValueError(f"fault kind must be one of {kinds}, not {self.kind!r}")
        if self.kind == "error" and not 400 <= self.status <= 599:
            raise ValueError(f"an error fault needs a 4xx or 5xx status, not {self.status!r}")

    @classmethod
    def rate_limited(cls, reset_at: int | None = None) -> Fault:
        """A 429; with X-RateLimit-Reset/Limit/Remaining headers when `reset_at` is given."""
        return cls("rate_limit", reset_at=reset_at)

    @classmethod
    def server_error(cls, status: int = 500, message: str = "Internal Server Error") -> Fault:
        """A 5xx answer."""
        return cls("error", status=status, message=message)

    @classmethod
    def bad_request(cls, message: str) -> Fault:
        """A 400 answer with `message`, whatever the request holds."""
        return cls("error", status=400, message=message)

    @classmethod
    def accept_then_drop(cls) -> Fault:
        """Check and record the request as accepted, then close the connection unanswered
        (a request that fails the checks gets its 400)."""
        return cls("drop")

    @classmethod
    def late(cls, seconds: float) -> Fault:
        """Record the request as accepted at once, but answer only after `seconds` (a sender
        that dies meanwhile never learns that its emails left)."""
        return cls("late", delay=seconds)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """The normal answer, after `seconds`."""
        return cls("delay", delay=seconds)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """A fault from its JSON form, as posted to /_standin/inject."""
        known = {"kind", "status", "message", "reset_at", "delay"}
        if unknown := set(data) - known:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**data)


# ---------------------------------------------------------------------------- checks


_INDEXES = re.compile(r"\.\d+")  # personalizations.3.to → personalizations.to


def _error(message: str, field: str | None = None) -> dict[str, Any]:
    """One entry of SendGrid's error body; `help` points at the errors page like SendGrid's."""
    help_url = f"{ERRORS_HELP}#message.{_INDEXES.sub('', field)}" if field else None
    return {"message": message, "field": field, "help": help_url}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    names = {float: "number", str: "string", list: "array", dict: "object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _check_strings(mapping: Any, where: str) -> list[dict[str, Any]]:
    """A collection of key/value pairs whose values must all be strings."""
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        return [_error(f"Invalid type. Expected: object, given: {_json_type(mapping)}.", where)]
    return [
        _error(f"Invalid type. Expected: string, given: {_json_type(value)}.", f"{where}.{key}")
        for key, value in mapping.items()
        if not isinstance(value, str)
    ]


def _check_headers(headers: Any, where: str) -> list[dict[str, Any]]:
    errors = _check_strings(headers, where)
    reserved = {name.lower() for name in RESERVED_HEADERS}
    for name in headers if isinstance(headers, dict) else ():
        if name.lower() in reserved:
            errors.append(_error(
                f"The header {name} is reserved and cannot be set: you may not overwrite "
                f"{', '.join(RESERVED_HEADERS)}.",
                f"{where}.{name}",
            ))  # fmt: skip
    return errors


def _is_address(value: Any) -> bool:
    email = value.get("email") if isinstance(value, dict) else None
    return isinstance(email, str) and email.count("@") == 1 and " " not in email


def _check_from(body: dict[str, Any]) -> list[dict[str, Any]]:
    if _is_address(body.get("from")):
        return []
    return [_error(
        "The from object must be provided for every email send. It is an object that requires "
        'the email parameter, but may also contain a name parameter.  e.g. {"email" : '
        '"example@example.com"}  or {"email" : "example@example.com", "name" : '
        '"Example Recipient"}.',
        "from.email",
    )]  # fmt: skip


def _check_recipients(personalizations: list[Any]) -> list[dict[str, Any]]:
    """Each personalization has a `to`; every address is valid and appears once in the request."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    duplicate_reported = False
    total = 0
    for i, personalization in enumerate(personalizations):
        to = personalization.get("to") if isinstance(personalization, dict) else None
        if not isinstance(to, list) or not to:
            errors.append(_error(
                "The to array is required for all personalization objects, and must have at "
                "least one email object with a valid email address.",
                f"personalizations.{i}.to",
            ))  # fmt: skip
            continue
        for kind in ("to", "cc", "bcc"):
            addresses = personalization.get(kind) or []
            for j, address in enumerate(addresses if isinstance(addresses, list) else [None]):
                where = f"personalizations.{i}.{kind}.{j}"
                if not _is_address(address):
                    errors.append(_error("Does not contain a valid address.", f"{where}.email"))
                    continue
                total += 1
                name = address.get("name")
                if isinstance(name, str) and any(c in name for c in ",;"):
                    errors.append(_error(
                        "The to.name, cc.name, and bcc.name personalizations cannot include "
                        "either the ; or , characters.",
                        f"{where}.name",
                    ))  # fmt: skip
                email = address["email"].lower()
                if email in seen and not duplicate_reported:
                    duplicate_reported = True  # SendGrid names the first duplicate only
                    errors.append(_error(
                        "Each unique email address in the personalizations array should only "
                        f"be included once. You have included {address['email']} more than once.",
                        f"{where}.email",
                    ))  # fmt: skip
                seen.add(email)
    if total > MAX_RECIPIENTS:
        errors.append(_error(
            f"There is a limit of {MAX_RECIPIENTS} total recipients (to + cc + bcc) per request.",
            "personalizations",
        ))  # fmt: skip
    return errors


def _check_personalizations(body: dict[str, Any]) -> list[dict[str, Any]]:
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        return [_error(
            "The personalizations field is required and must have at least one personalization.",
            "personalizations",
        )]  # fmt: skip
    if len(personalizations) > MAX_PERSONALIZATIONS:
        return [_error(
            f"The personalization block is limited to {MAX_PERSONALIZATIONS} personalizations "
            f"per API request. You have provided {len(personalizations)} personalizations. "
            "Please consider splitting this into multiple requests and resending your request.",
            "personalizations",
        )]  # fmt: skip
    errors = _check_recipients(personalizations)
    top_args = body.get("custom_args") if isinstance(body.get("custom_args"), dict) else {}
    for i, personalization in enumerate(personalizations):
        if not isinstance(personalization, dict):
            continue
        where = f"personalizations.{i}"
        errors += _check_strings(personalization.get("substitutions"), f"{where}.substitutions")
        errors += _check_strings(personalization.get("custom_args"), f"{where}.custom_args")
        errors += _check_headers(personalization.get("headers"), f"{where}.headers")
        own_args = personalization.get("custom_args")
        merged = {**top_args, **(own_args if isinstance(own_args, dict) else {})}
        if len(json.dumps(merged).encode()) > MAX_CUSTOM_ARGS_BYTES:
            errors.append(_error(
                f"The custom_args of a personalization, merged with the top-level ones, must "
                f"stay under {MAX_CUSTOM_ARGS_BYTES} bytes.",
                f"{where}.custom_args",
            ))  # fmt: skip
    return errors


def _check_subject(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body.get("template_id") or (isinstance(body.get("subject"), str) and body["subject"]):
        return []
    personalizations = body.get("personalizations")
    if (
        isinstance(personalizations, list)
        and personalizations
        and all(
            isinstance(p, dict) and isinstance(p.get("subject"), str) and p["subject"]
            for p in personalizations
        )
    ):
        return []
    return [_error(
        "The subject is required. You can get around this requirement if you use a template "
        "with a subject defined or if every personalization has a subject defined.",
        "subject",
    )]  # fmt: skip


def _check_content(body: dict[str, Any]) -> list[dict[str, Any]]:
    content = body.get("content")
    if content is None and body.get("template_id"):
        return []
    if not isinstance(content, list) or not content:
        return [_error(
            "Unless a valid template_id is provided, the content parameter is required. There "
            "must be at least one defined content block. We typically suggest both text/plain "
            "and text/html blocks are included, but only one block is required.",
            "content",
        )]  # fmt: skip
    errors = []
    types = []
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        value = part.get("value") if isinstance(part, dict) else None
        if not isinstance(kind, str) or not kind:
            errors.append(_error(
                "The content type must be a string at least one character in length.",
                f"content.{i}.type",
            ))  # fmt: skip
        if not isinstance(value, str) or not value:
            errors.append(_error(
                "The content value must be a string at least one character in length.",
                f"content.{i}.value",
            ))  # fmt: skip
        types.append(kind.lower() if isinstance(kind, str) else "")
    if types.count("text/plain") > 1 or types.count("text/html") > 1:
        errors.append(_error(
            "If present, text/plain and text/html may only be provided once.", "content"
        ))  # fmt: skip
    expected = [kind for kind in ("text/plain", "text/html") if kind in types]
    if types[: len(expected)] != expected:
        errors.append(_error(
            "If present, text/plain content must be first, followed by text/html, followed by "
            "any other content.",
            "content",
        ))  # fmt: skip
    return errors


def _check_reply_to(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    if "reply_to" in body and "reply_to_list" in body:
        errors.append(_error(
            "The reply_to and reply_to_list parameters are mutually exclusive: use one of them.",
            "reply_to",
        ))  # fmt: skip
    if "reply_to" in body and not _is_address(body["reply_to"]):
        errors.append(_error("The reply_to email does not contain a valid address.", "reply_to"))
    return errors


def _check_categories(categories: Any) -> list[dict[str, Any]]:
    if categories is None:
        return []
    if not isinstance(categories, list):
        return [_error(f"Invalid type. Expected: array, given: {_json_type(categories)}.",
                       "categories")]  # fmt: skip
    errors = []
    if len(categories) > MAX_CATEGORIES:
        errors.append(_error(
            f"You cannot have more than {MAX_CATEGORIES} categories per request.", "categories"
        ))  # fmt: skip
    for i, category in enumerate(categories):
        if not isinstance(category, str):
            errors.append(_error(
                f"Invalid type. Expected: string, given: {_json_type(category)}.",
                f"categories.{i}",
            ))  # fmt: skip
        elif len(category) > MAX_CATEGORY_LENGTH:
            errors.append(_error(
                f"A category cannot have more than {MAX_CATEGORY_LENGTH} characters.",
                f"categories.{i}",
            ))  # fmt: skip
    return errors


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _check_attachments(attachments: Any) -> list[dict[str, Any]]:
    if attachments is None:
        return []
    if not isinstance(attachments, list):
        return [_error(f"Invalid type. Expected: array, given: {_json_type(attachments)}.",
                       "attachments")]  # fmt: skip
    errors = []
    for i, attachment in enumerate(attachments):
        item = attachment if isinstance(attachment, dict) else {}
        content = item.get("content")
        if not isinstance(content, str) or not content:
            errors.append(_error("The attachment content is required.", f"attachments.{i}.content"))
        elif not _is_base64(content):
            errors.append(_error(
                "The attachment content must be base64 encoded.", f"attachments.{i}.content"
            ))  # fmt: skip
        if not isinstance(item.get("filename"), str) or not item["filename"]:
            errors.append(_error(
                "The attachment filename parameter is required.", f"attachments.{i}.filename"
            ))  # fmt: skip
        disposition = item.get("disposition", "attachment")
        if disposition not in ("attachment", "inline"):
            errors.append(_error(
                'The disposition of your attachment can be either "inline" or "attachment".',
                f"attachments.{i}.disposition",
            ))  # fmt: skip
        elif disposition == "inline" and not item.get("content_id"):
            errors.append(_error(
                "The content_id parameter is required if disposition is set to inline.",
                f"attachments.{i}.content_id",
            ))  # fmt: skip
    return errors


def check_mail_send(body: Any) -> list[dict[str, Any]]:
    """The errors SendGrid would answer with a 400 for this Mail Send body; empty if none."""
    if not isinstance(body, dict):
        return [_error("Bad Request")]
    return [
        *_check_from(body),
        *_check_personalizations(body),
        *_check_subject(body),
        *_check_content(body),
        *_check_reply_to(body),
        *_check_strings(body.get("custom_args"), "custom_args"),
        *_check_headers(body.get("headers"), "headers"),
        *_check_categories(body.get("categories")),
        *_check_attachments(body.get("attachments")),
    ]


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class AcceptedRequest:
    """A Mail Send request the stand-in answered 202 (or accepted before dropping)."""

    x_message_id: str
    body: dict[str, Any]
    received_at: float  # epoch seconds


@dataclass(frozen=True)
class DeliveredAttachment:
    """An attachment as the recipient gets it."""

    filename: str
    type: str
    data: bytes
    disposition: str
    content_id: str | None


@dataclass(frozen=True)
class Delivery:
    """One email SendGrid would send: a personalization with its substitutions applied."""

    x_message_id: str  # of the request
    sg_message_id: str  # of this email, as in Event Webhook events and the Activity API
    to: tuple[str, ...]
    sender: str
    subject: str | None
    text: str | None
    html: str | None
    reply_to: str | None
    custom_args: dict[str, str]
    headers: dict[str, str]
    categories: tuple[str, ...]
    attachments: tuple[DeliveredAttachment, ...] = field(default=())

    @property
    def address(self) -> str:
        """The first (for our backend, the only) `to` address."""
        return self.to[0]

    def to_json(self) -> dict[str, Any]:
        """The JSON form served by /_standin/deliveries, attachment data in base64."""
        data = asdict(self)
        for attachment in data["attachments"]:
            attachment["data"] = base64.b64encode(attachment["data"]).decode("ascii")
        return data


def substituter(substitutions: Mapping[str, str]) -> Callable[[str | None], str | None]:
    """Replaces every tag in a single pass, as SendGrid does: a value put in place of a tag is
    never searched for tags again (SendGrid does not nest substitutions)."""
    tags = sorted((tag for tag in substitutions if tag), key=len, reverse=True)
    if not tags:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(tag) for tag in tags))

    def apply(text: str | None) -> str | None:
        return None if text is None else pattern.sub(lambda m: substitutions[m.group(0)], text)

    return apply


def _delivered_attachments(body: dict[str, Any]) -> tuple[DeliveredAttachment, ...]:
    return tuple(
        DeliveredAttachment(
            filename=item["filename"],
            type=item.get("type", "application/octet-stream"),
            data=base64.b64decode(item["content"]),
            disposition=item.get("disposition", "attachment"),
            content_id=item.get("content_id"),
        )
        for item in body.get("attachments") or ()
    )


def expand(request: AcceptedRequest, only: set[int] | None = None) -> Iterator[Delivery]:
    """The emails of an accepted request, one per personalization (or those indexed in `only`)."""
    body = request.body
    content = {part["type"].lower(): part["value"] for part in body.get("content") or ()}
    reply_to = (body.get("reply_to") or (body.get("reply_to_list") or [{}])[0]).get("email")
    attachments = _delivered_attachments(body)
    for index, personalization in enumerate(body["personalizations"]):
        if only is not None and index not in only:
            continue
        apply = substituter(personalization.get("substitutions") or {})
        yield Delivery(
            x_message_id=request.x_message_id,
            sg_message_id=f"{request.x_message_id}.standin{index}.0",
            to=tuple(address["email"] for address in personalization["to"]),
            sender=body["from"]["email"],
            subject=apply(personalization.get("subject", body.get("subject"))),
            text=apply(content.get("text/plain")),
            html=apply(content.get("text/html")),
            reply_to=apply(reply_to),
            custom_args={**body.get("custom_args", {}), **personalization.get("custom_args", {})},
            headers={**body.get("headers", {}), **personalization.get("headers", {})},
            categories=tuple(body.get("categories") or ()),
            attachments=attachments,
        )


# ---------------------------------------------------------------------------- activity queries

_EQUALS = re.compile(r"""^\(?\s*unique_args\['([^']+)'\]\s*=\s*"([^"]*)"\s*\)?$""")
_IN = re.compile(r"""^\(?\s*unique_args\['([^']+)'\]\s+IN\s*\(([^)]*)\)\s*\)?$""", re.IGNORECASE)


def parse_activity_query(query: str) -> tuple[str, list[str]] | None:
    """(argument name, accepted values) of a supported Email Activity query, else None."""
    query = query.strip()
    if match := _EQUALS.match(query):
        return match.group(1), [match.group(2)]
    if match := _IN.match(query):
        values = re.findall(r"""\s*(?:"([^"]*)"|'([^']*)')\s*(?:,|$)""", match.group(2))
        return match.group(1), [double or single for double, single in values]
    return None


def _activity_message(delivery: Delivery, received_at: float) -> dict[str, Any]:
    """A message as the Email Activity API lists it."""
    return {
        "from_email": delivery.sender,
        "msg_id": delivery.sg_message_id,
        "subject": delivery.subject,
        "to_email": delivery.address,
        "status": "delivered",
        "opens_count": 0,
        "clicks_count": 0,
        "last_event_time": datetime.fromtimestamp(received_at, UTC).isoformat(),
    }


# ---------------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a delayed answer must not hold up stop()
    request_queue_size = 128  # bursts of concurrent small requests from benchmark workers
    standin: SendGridStandIn

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client that went away (a timeout on its side): nothing to report
        super().handle_error(request, client_address)


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as SendGrid's API
    timeout = 60  # an idle keep-alive connection gives its thread back
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: benchmarks send thousands of requests."""

    # -- plumbing

    def _read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(
        self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            if body:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client gave up waiting

    def _errors(
        self, status: int, *errors: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        self._answer(status, _json_bytes({"errors": list(errors)}), headers)

    def _discard(self, length: int) -> None:
        """Read a refused body to its end, so that the client gets to read the answer."""
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                return
            length -= len(chunk)

    def _authorized(self) -> bool:
        given = self.headers.get("Authorization")
        if given == f"Bearer {self.server.standin.api_key}":
            return True
        message = (
            "authorization required"
            if not given
            else "The provided authorization grant is invalid, expired, or revoked"
        )
        self._errors(401, {"field": None, "message": message, "help": None})
        return False

    # -- routes

    def do_POST(self) -> None:
        """Mail Send, and the control endpoints."""
        path = urlsplit(self.path).path
        if path == "/v3/mail/send":
            self._mail_send()
        elif path == "/_standin/inject":
            self._inject()
        elif path == "/_standin/reset":
            self._read_body()
            self.server.standin.reset()
            self._answer(200, _json_bytes({"reset": True}))
        else:
            self._read_body()
            self._errors(404, _error("not found"))

    def do_GET(self) -> None:
        """The Email Activity API, and the control endpoints."""
        url = urlsplit(self.path)
        params = {name: values[-1] for name, values in parse_qs(url.query).items()}
        standin = self.server.standin
        if url.path == "/v3/messages":
            self._activity(params)
        elif url.path == "/_standin/count":
            self._answer(200, _json_bytes(standin.counts()))
        elif url.path == "/_standin/deliveries":
            try:
                offset, limit = int(params.get("offset", 0)), int(params.get("limit", 10**9))
            except ValueError:
                self._errors(400, _error("offset and limit must be integers"))
                return
            listed = standin.deliveries()[offset : offset + limit]
            self._answer(200, _json_bytes({"deliveries": [d.to_json() for d in listed]}))
        elif url.path == "/_standin/requests":
            listed = [asdict(request) for request in standin.requests()]
            self._answer(200, _json_bytes({"requests": listed}))
        else:
            self._errors(404, _error("not found"))

    def do_PUT(self) -> None:
        """Not part of what the stand-in serves."""
        self._refuse_method()

    def do_PATCH(self) -> None:
        """Not part of what the stand-in serves."""
        self._refuse_method()

    def do_DELETE(self) -> None:
        """Not part of what the stand-in serves."""
        self._refuse_method()

    def _refuse_method(self) -> None:
        self._read_body()
        self._errors(405, _error("method not allowed"))

    def _mail_send(self) -> None:
        standin = self.server.standin
        length = int(self.headers.get("Content-Length") or 0)
        if length > standin.max_body_bytes:
            self._discard(length)
            self.close_connection = True
            self._errors(413, _error("Payload Too Large: a request must stay under 30 MB."))
            return
        raw = self.rfile.read(length)
        if not self._authorized():
            return
        fault = standin.next_fault()
        standin.note_answer_time()
        if fault and fault.delay and fault.kind != "late":
            time.sleep(fault.delay)
        if fault and fault.kind == "rate_limit":
            headers = _rate_limit_headers(fault.reset_at)
            self._errors(429, {"field": None, "message": "too many requests"}, headers=headers)
            return
        if fault and fault.kind == "error":
            self._errors(fault.status, _error(fault.message))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._errors(400, _error("Bad Request"))
            return
        if errors := check_mail_send(body):
            self._errors(400, *errors)
            return
        x_message_id = standin.accept(body)
        if fault and fault.kind == "drop":
            self.close_connection = True  # closes the socket with no answer at all
            return
        if fault and fault.kind == "late":
            time.sleep(fault.delay)
        self._answer(202, headers={"X-Message-Id": x_message_id})

    def _inject(self) -> None:
        try:
            data = json.loads(self._read_body())
            items = data["faults"] if isinstance(data, dict) and "faults" in data else [data]
            faults = [Fault.from_json(item) for item in items]
        except (ValueError, TypeError, KeyError) as error:
            self._errors(400, _error(f"bad fault: {error}"))
            return
        self.server.standin.inject(*faults)
        self._answer(200, _json_bytes({"queued": len(faults)}))

    def _activity(self, params: dict[str, str]) -> None:
        if not self._authorized():
            return
        parsed = parse_activity_query(params.get("query", ""))
        if parsed is None:
            self._errors(400, _error(
                "this stand-in answers unique_args['name']=\"value\" and "
                "unique_args['name'] IN (\"v1\",\"v2\") queries only",
                "query",
            ))  # fmt: skip
            return
        try:
            limit = int(params.get("limit", 10))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 1000:
            self._errors(400, _error("limit must be between 1 and 1000", "limit"))
            return
        messages = self.server.standin.activity(*parsed)[:limit]
        self._answer(200, _json_bytes({"messages": messages}))


def _rate_limit_headers(reset_at: int | None) -> dict[str, str]:
    if reset_at is None:
        return {}  # SendGrid's mail/send has been seen answering without them
    return {
        "X-RateLimit-Limit": str(RATE_LIMIT),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(reset_at),
    }


# ---------------------------------------------------------------------------- the stand-in


class SendGridStandIn:
    """SendGrid's Mail Send API on 127.0.0.1, recording what it accepts; a context manager."""

    def __init__(
        self,
        api_key: str = API_KEY,
        port: int = 0,
        host: str = "127.0.0.1",
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.api_key = api_key
        self.max_body_bytes = max_body_bytes
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._requests: list[AcceptedRequest] = []
        self._delivery_count = 0
        # (custom arg name, value) → (position in _requests, personalization index)
        self._by_custom_arg: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        self._faults: deque[Fault] = deque()
        self._arrivals: list[float] = []

    # -- life

    def start(self) -> SendGridStandIn:
        """Listen (on a free port unless one was given) and serve from a background thread."""
        server = _Server(self._address, _Handler)
        server.standin = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; answers still being delayed are abandoned."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> SendGridStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to give the sendgrid library as its host, e.g. http://127.0.0.1:PORT."""
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- faults and records

    def inject(self, *faults: Fault) -> None:
        """Queue faults: each replaces the answer to one coming Mail Send request, in order."""
        with self._lock:
            self._faults.extend(faults)

    def note_answer_time(self) -> None:
        """Remember when a Mail Send request arrived, whatever its answer."""
        with self._lock:
            self._arrivals.append(time.time())

    def arrivals(self) -> list[float]:
        """When each Mail Send request arrived (epoch seconds), refused ones included."""
        with self._lock:
            return list(self._arrivals)

    def next_fault(self) -> Fault | None:
        """Take the next queued fault, if any."""
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def reset(self) -> None:
        """Forget every recorded request and every pending fault."""
        with self._lock:
            self._requests = []
            self._arrivals = []
            self._delivery_count = 0
            self._by_custom_arg = defaultdict(list)
            self._faults.clear()

    def accept(self, body: dict[str, Any]) -> str:
        """Record a request that passed the checks; returns its new X-Message-Id."""
        x_message_id = secrets.token_urlsafe(16)[:22]
        top_args = body.get("custom_args") or {}
        custom_args = [
            (key, index)
            for index, personalization in enumerate(body["personalizations"])
            for key in {**top_args, **(personalization.get("custom_args") or {})}.items()
        ]
        request = AcceptedRequest(x_message_id, body, time.time())
        with self._lock:
            position = len(self._requests)
            self._requests.append(request)
            self._delivery_count += len(body["personalizations"])
            for key, index in custom_args:
                self._by_custom_arg[key].append((position, index))
        return x_message_id

    def requests(self) -> list[AcceptedRequest]:
        """Every accepted request, in the order they arrived."""
        with self._lock:
            return list(self._requests)

    def deliveries(self) -> list[Delivery]:
        """Every email of the accepted requests, in order, with substitutions applied."""
        return [delivery for request in self.requests() for delivery in expand(request)]

    def delivery_count(self) -> int:
        """How many emails were accepted so far; cheap enough to poll."""
        with self._lock:
            return self._delivery_count

    def counts(self) -> dict[str, float]:
        """Accepted requests, accepted emails, faults not yet used, and when the last request
        was accepted (epoch seconds, 0 before the first)."""
        with self._lock:
            return {
                "requests": len(self._requests),
                "deliveries": self._delivery_count,
                "faults_pending": len(self._faults),
                "last_accepted_at": self._requests[-1].received_at if self._requests else 0,
            }

    def activity(self, name: str, values: list[str]) -> list[dict[str, Any]]:
        """The accepted emails whose custom arg `name` is one of `values`, as the Email
        Activity API lists them."""
        with self._lock:
            hits = [hit for value in values for hit in self._by_custom_arg.get((name, value), ())]
            requests = self._requests
        by_request: dict[int, set[int]] = defaultdict(set)
        for position, index in hits:
            by_request[position].add(index)
        return [
            _activity_message(delivery, requests[position].received_at)
            for position, indexes in sorted(by_request.items())
            for delivery in expand(requests[position], only=indexes)
        ]


def main(argv: list[str] | None = None) -> None:
    """Run the stand-in as a process until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(description="SendGrid v3 Mail Send stand-in")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-key", default=API_KEY, help="the only key accepted")
    args = parser.parse_args(argv)

    def leave(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, leave)
    with SendGridStandIn(api_key=args.api_key, port=args.port, host=args.host) as standin:
        print(f"SendGrid stand-in listening on {standin.url}", flush=True)
        try:
            while True:
                signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
