"""What a backend is given to send: content rendered once for a template, language and event,
and the recipients it is personalised for.

Personal values are not rendered into the content: the content holds substitution tags
(`%%name%%` in the subject, the text part and the Reply-To address, `%%name.html%%` in the HTML
part) and each recipient carries the raw values. SendGrid replaces the tags itself (its
`substitutions` apply to the subject, both bodies and Reply-To), so one request carries up to
1,000 recipients; the SMTP and file backends replace them locally with `personalise`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address as HeaderAddress
from email.utils import formataddr

from markupsafe import escape

# Tags whose values land in a body only, never in a subject or header: they may span lines.
BODY_TAGS = frozenset({"answers"})


class UnsafeHeader(ValueError):
    """A header value would have broken out of its header (CR or LF) or is otherwise unusable."""


def check_header_value(name: str, value: str) -> str:
    """Return `value` unchanged, or raise UnsafeHeader if it contains CR, LF or NUL."""
    if any(c in value for c in "\r\n\0"):
        raise UnsafeHeader(f"{name}: line breaks are not allowed in a header, got {value!r}")
    return value


@dataclass(frozen=True)
class Address:
    """An email address with an optional display name."""

    email: str
    name: str = ""

    def __post_init__(self) -> None:
        check_header_value("address", self.email)
        check_header_value("display name", self.name)
        if self.email.count("@") != 1 or any(c in self.email for c in " <>,;\"'"):
            raise UnsafeHeader(f"address: not a single address, got {self.email!r}")

    def formatted(self) -> str:
        """The header form; names with commas, semicolons or quotes are quoted by formataddr,
        non-ASCII names encoded as RFC 2047 words."""
        return formataddr((self.name, self.email)) if self.name else self.email

    def header_address(self) -> HeaderAddress:
        """The same address for an `email.message.EmailMessage` header."""
        username, domain = self.email.rsplit("@", 1)
        return HeaderAddress(display_name=self.name, username=username, domain=domain)


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email (an .ics, a ticket's QR code)."""

    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST", "image/png"
    data: bytes
    content_id: str | None = None  # set for an inline image referenced as cid:…

    def __post_init__(self) -> None:
        check_header_value("attachment filename", self.filename)
        check_header_value("attachment content type", self.content_type)


@dataclass(frozen=True)
class Content:
    """The part of an email shared by every recipient of a batch."""

    sender: Address
    subject: str
    text: str
    html: str | None
    reply_to: Address | None = None  # may hold a tag, e.g. r+%%reply%%@reply.example.org
    categories: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()

    def __post_init__(self) -> None:
        check_header_value("Subject", self.subject)
        for name, value in self.headers.items():
            check_header_value(name, name)
            check_header_value(name, value)


# The message id of an email that has no outbox row (a test send, a preview): no id goes to the
# provider, so that none of its events can be taken for another email's.
NO_ROW = 0


@dataclass(frozen=True)
class Recipient:
    """One email of a batch: its outbox row, its address and its personal values."""

    message_id: int  # the outbox row (or NO_ROW); the only id sent to the provider (custom_args)
    to: Address
    substitutions: Mapping[str, str] = field(default_factory=dict)  # tag name → raw value
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe
    attachments: tuple[Attachment, ...] = ()  # own attachments, e.g. a ticket

    def __post_init__(self) -> None:
        for name, value in (*self.headers.items(), *self.substitutions.items()):
            check_header_value(name, name)
            check_header_value(name, value.replace("\n", "") if name in BODY_TAGS else value)


@dataclass(frozen=True)
class Batch:
    """Recipients sharing one content."""

    content: Content
    recipients: tuple[Recipient, ...]


def text_tag(name: str) -> str:
    """The tag replaced by a raw value (subject, text part, Reply-To)."""
    return f"%%{name}%%"


def html_tag(name: str) -> str:
    """The tag replaced by an HTML-escaped value (HTML part)."""
    return f"%%{name}.html%%"


def tag_values(recipient: Recipient) -> dict[str, str]:
    """Every tag of the recipient with its replacement, escaped where it lands in HTML (where a
    line break of the value is a line break too)."""
    values: dict[str, str] = {}
    for name, value in recipient.substitutions.items():
        values[text_tag(name)] = value
        values[html_tag(name)] = str(escape(value)).replace("\n", "<br>\n")
    return values


def personalise(template: str, values: Mapping[str, str]) -> str:
    """Replace each tag of `values` in `template` (what SendGrid does on its side)."""
    for tag, value in values.items():
        if tag in template:
            template = template.replace(tag, value)
    return template


class Result(enum.StrEnum):
    """How a send attempt ended for one recipient."""

    SENT = "sent"  # the provider accepted it
    RETRY = "retry"  # transient (429, 5xx, timeout, refused connection): try again later
    FAILED = "failed"  # permanent (other 4xx, refused address): never retried
    UNCERTAIN = "uncertain"  # the request may have been accepted: the answer was lost
    UNSENT = "unsent"  # not tried: its claim would have ended while the request was in flight


def unsent(recipients: Sequence[Recipient]) -> list[Outcome]:
    """The outcomes of recipients a backend did not try because the claim's deadline passed."""
    text = "not tried: the claim ended before the request could; queued again"
    return [Outcome(r.message_id, Result.UNSENT, error=text) for r in recipients]


@dataclass(frozen=True)
class Outcome:
    """What a backend did with one recipient's email."""

    message_id: int
    result: Result
    provider_id: str = ""  # SendGrid's X-Message-Id, or the Message-ID header for SMTP/file
    error: str = ""  # the provider's own words, shown to the organiser
    not_before: float | None = None  # epoch seconds before which a RETRY must not happen (429)
