"""MIME messages for the SMTP and file backends, rendered fast for every recipient of a batch.

Building and flattening one `EmailMessage` per recipient costs about 3 ms with an .ics (1.6 ms
without), which alone would cap a worker near 300 messages per second. So the `email` package
builds the MIME tree of a batch once, with the text and HTML bodies left as slots; per recipient
we write the headers and fill the slots:

- The bodies are personalised as `str`, then quoted-printable encoded, so an encoding never
  splits or hides a tag. Quoted-printable output never holds "=_", and every boundary starts
  with "=_", so a personal value can never close a part early.
- Headers use RFC 2047 "B" words for anything that is not plain ASCII, so a value comes back
  from a parser exactly as given (display names with their spaces collapsed, as any reader
  shows them). Control characters and line separators in a header are refused.
- The result is 7-bit, so any SMTP server takes it without 8BITMIME or SMTPUTF8.

A recipient with attachments of its own (a ticket) gets a tree of its own, at the full cost.

Calendar attachments whose type names a `method` (text/calendar; method=REQUEST) go twice, as
Google Calendar sends them: inside multipart/alternative, the first child of multipart/mixed,
where Outlook looks for iMIP, and as an application/ics attachment for clients that only
read attachments.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

from service.mail.envelope import (
    Address,
    Attachment,
    Content,
    Recipient,
    UnsafeHeader,
    personalise,
    tag_values,
)

# cte_type 7bit makes the email package pick quoted-printable or base64 for every shared part.
_POLICY = policy.SMTP.clone(cte_type="7bit")
_FOLD_AT = 78
_MAX_LINE = 998
# C0 and C1 controls other than tab, Unicode line and paragraph separators, lone surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_PLAIN_WORD = re.compile(r"[!-~]{1,76}")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*")
_DOMAIN = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
_FIELD_NAME = re.compile(r"[!-9;-~]+")
_METHOD = re.compile(r"[A-Za-z-]+")
_CONTENT_ID = re.compile(r"[!-;=?-~]+")  # printable ASCII without the angle brackets
# Headers the builder writes itself; content or recipient headers may not set them.
_RESERVED = {"from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "sender"}
_RESERVED |= {"mime-version", "return-path"}


@dataclass(frozen=True)
class RenderedMessage:
    """One recipient's message as bytes ready for SMTP, with its envelope."""

    message_id: str  # the Message-ID header, with its angle brackets
    mail_from: str
    rcpt_to: str
    data: bytes  # CRLF line endings, 7-bit


def _check_text(field: str, value: str) -> None:
    if _UNSAFE.search(value):
        raise UnsafeHeader(f"{field}: control characters are not allowed, got {value!r}")


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 "B" words of at most 75 characters, never splitting a character."""
    chunks: list[bytes] = []
    chunk = b""
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > 45:  # 45 bytes are 60 base64 characters
            chunks.append(chunk)
            chunk = b""
        chunk += encoded
    chunks.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(c).decode('ascii')}?=" for c in chunks]


def _one_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


def _unstructured(field: str, text: str) -> list[str]:
    """Tokens of a free-text header: the words of plain ASCII, else encoded words."""
    _check_text(field, text)
    if not text:
        return []
    words = text.split(" ")
    if "=?" not in text and all(_PLAIN_WORD.fullmatch(w) for w in words):
        return words
    return _encoded_words(text)


def _phrase(field: str, name: str) -> list[str]:
    """Tokens of a display name; commas, semicolons and quotes end up quoted or encoded."""
    _check_text(field, name)
    # Parsers collapse runs of spaces and tabs in a display name; so do we, to say the same.
    words = [w for w in re.split(r"[ \t]+", name) if w]
    if not words:
        return []
    if "=?" not in name and all(_ATOM.fullmatch(w) for w in words):
        return words
    joined = " ".join(words)
    if "=?" not in joined and joined.isascii():
        return ['"' + joined.replace("\\", "\\\\").replace('"', '\\"') + '"']
    # One word per word: parsers put a space between adjacent encoded words.
    return [w if _ATOM.fullmatch(w) and "=?" not in w else _one_word(w) for w in words]


def addr_spec(field: str, email: str) -> str:
    """The address as SMTP and headers take it: ASCII, the domain IDNA-encoded."""
    local, _, domain = email.rpartition("@")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise UnsafeHeader(f"{field}: invalid domain in {email!r}") from exc
    if not _DOT_ATOM.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        raise UnsafeHeader(f"{field}: {email!r} is not an address we can send to over SMTP")
    return f"{local}@{domain}"


def _mailbox(field: str, address: Address) -> list[str]:
    spec = addr_spec(field, address.email)
    phrase = _phrase(field, address.name)
    return [*phrase, f"<{spec}>"] if phrase else [spec]


def _header(name: str, tokens: list[str]) -> bytes:
    """One header, folded between tokens; unfolding gives back the single spaces."""
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > _FOLD_AT and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + token
    if any(len(line) > _MAX_LINE for line in lines):
        raise UnsafeHeader(f"{name}: too long for one header line")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def _custom_headers(headers: dict[str, str]) -> bytes:
    out = []
    for name, value in headers.items():
        if not _FIELD_NAME.fullmatch(name) or name.lower() in _RESERVED:
            raise UnsafeHeader(f"{name}: not a header that can be set here")
        if name.lower().startswith("content-"):
            raise UnsafeHeader(f"{name}: not a header that can be set here")
        _check_text(name, value)
        # List-Unsubscribe and the like are read raw by clients: ASCII stays as given.
        if value.isascii():
            line = f"{name}: {value}\r\n"
            if len(line) > _MAX_LINE + 2:
                raise UnsafeHeader(f"{name}: too long for one header line")
            out.append(line.encode("ascii"))
        else:
            out.append(_header(name, _unstructured(name, value)))
    return b"".join(out)


def _merged_headers(content: Content, recipient: Recipient) -> dict[str, str]:
    """Content headers, replaced by the recipient's own of the same name."""
    own = {name.lower() for name in recipient.headers}
    merged = {k: v for k, v in content.headers.items() if k.lower() not in own}
    return {**merged, **recipient.headers}


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _quoted_printable(text: str) -> bytes:
    return binascii.b2a_qp(text.encode("utf-8"), istext=True)


def _container(subtype: str, children: list[MIMEPart]) -> MIMEPart:
    part = MIMEPart(policy=_POLICY)
    part["Content-Type"] = f'multipart/{subtype}; boundary="=_{secrets.token_hex(16)}"'
    for child in children:
        part.attach(child)
    return part


def _slot(subtype: str, marker: str) -> MIMEPart:
    part = MIMEPart(policy=_POLICY)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(marker)
    return part


def _content_type(attachment: Attachment) -> tuple[str, str, dict[str, str]]:
    parsed = Message()
    parsed["Content-Type"] = attachment.content_type
    # A multipart or message type would need a structure, not bytes.
    if "/" not in attachment.content_type.split(";")[0] or parsed.get_content_maintype() in (
        "multipart",
        "message",
    ):
        raise UnsafeHeader(f"attachment content type: cannot attach {attachment.content_type!r}")
    params = {k.lower(): v for k, v in (parsed.get_params() or [])[1:]}
    return parsed.get_content_maintype(), parsed.get_content_subtype(), params


def _attachment(attachment: Attachment, *, inline: bool = False) -> MIMEPart:
    _check_text("attachment filename", attachment.filename)
    maintype, subtype, params = _content_type(attachment)
    if inline and not _CONTENT_ID.fullmatch(attachment.content_id or ""):
        raise UnsafeHeader(f"{attachment.filename}: bad Content-ID {attachment.content_id!r}")
    part = MIMEPart(policy=_POLICY)
    try:
        part.set_content(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            disposition="inline" if inline else "attachment",
            filename=attachment.filename,
            cid=f"<{attachment.content_id}>" if inline else None,
            params={k: v for k, v in params.items() if k != "method"},
        )
    except (TypeError, ValueError) as exc:  # the email package's own refusals
        raise UnsafeHeader(f"{attachment.filename}: cannot be attached: {exc}") from exc
    return part


def _calendar_alternative(attachment: Attachment, method: str) -> MIMEPart:
    if not _METHOD.fullmatch(method):
        raise UnsafeHeader(f"attachment content type: bad calendar method {method!r}")
    try:
        calendar = attachment.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeHeader(f"{attachment.filename}: a calendar must be UTF-8 (RFC 5545)") from exc
    part = MIMEPart(policy=_POLICY)
    part.set_content(calendar, subtype="calendar")
    # Written as Google Calendar writes it: some clients compare the method unquoted.
    del part["Content-Type"]
    part.set_raw("Content-Type", f'text/calendar; charset="utf-8"; method={method.upper()}')
    return part


def _calendar_copy(attachment: Attachment) -> MIMEPart:
    part = MIMEPart(policy=_POLICY)
    part.set_content(
        attachment.data,
        maintype="application",
        subtype="ics",
        disposition="attachment",
        filename=attachment.filename,
        params={"name": attachment.filename},
    )
    return part


class _Skeleton:
    """The serialized MIME tree of one content, with slots for the two bodies."""

    def __init__(self, has_html: bool, attachments: tuple[Attachment, ...]) -> None:
        marker = secrets.token_hex(16)
        self._text_marker, self._html_marker = f"text-{marker}", f"html-{marker}"
        alternatives = [_slot("plain", self._text_marker)]
        images = [a for a in attachments if a.content_id and has_html]
        files: list[MIMEPart] = []
        calendars: list[MIMEPart] = []
        for attachment in attachments:
            maintype, subtype, params = _content_type(attachment)
            if attachment.content_id and has_html:
                continue
            if (maintype, subtype) == ("text", "calendar") and "method" in params:
                calendars.append(_calendar_alternative(attachment, params["method"]))
                files.append(_calendar_copy(attachment))
            else:
                files.append(_attachment(attachment))
        if has_html:
            html = _slot("html", self._html_marker)
            related = [html, *(_attachment(a, inline=True) for a in images)]
            alternatives.append(_container("related", related) if images else html)
        alternatives += calendars
        body = (
            alternatives[0] if len(alternatives) == 1 else _container("alternative", alternatives)
        )
        top = _container("mixed", [body, *files]) if files else body
        serialized = top.as_bytes(policy=_POLICY)
        before, after_text = serialized.split(self._text_marker.encode("ascii"))
        self._before_text = before
        if has_html:
            between, after_html = after_text.split(self._html_marker.encode("ascii"))
            self._between, self._after_html = between, after_html
        else:
            self._between, self._after_html = after_text, b""

    def fill(self, text: bytes, html: bytes) -> bytes:
        """The top part's headers and body with both slots filled."""
        return b"".join((self._before_text, text, self._between, html, self._after_html))


class MessageRenderer:
    """Renders the recipients of one content; shared parts are encoded once."""

    def __init__(self, content: Content, *, message_id_domain: str | None = None) -> None:
        self._mail_from = addr_spec("From", content.sender.email)
        if message_id_domain is None:  # the sender's domain, as the message is its
            message_id_domain = self._mail_from.rpartition("@")[2]
        if not _DOMAIN.fullmatch(message_id_domain):
            raise UnsafeHeader(f"Message-ID: bad domain {message_id_domain!r}")
        self._content = content
        self._domain = message_id_domain
        self._text = _crlf(content.text)
        self._html = _crlf(content.html) if content.html is not None else None
        self._from = _header("From", _mailbox("From", content.sender))
        self._skeleton: _Skeleton | None = None

    def _skeleton_for(self, recipient: Recipient) -> _Skeleton:
        has_html = self._html is not None
        if recipient.attachments:
            return _Skeleton(has_html, self._content.attachments + recipient.attachments)
        if self._skeleton is None:
            self._skeleton = _Skeleton(has_html, self._content.attachments)
        return self._skeleton

    def render(self, recipient: Recipient) -> RenderedMessage:
        """The message of one recipient; raises UnsafeHeader when a value cannot be sent."""
        content = self._content
        values = tag_values(recipient)
        message_id = make_msgid(idstring=str(recipient.message_id), domain=self._domain)
        headers = [
            self._from,
            _header("To", _mailbox("To", recipient.to)),
        ]
        if content.reply_to is not None:
            reply_to = Address(
                email=personalise(content.reply_to.email, values),
                name=personalise(content.reply_to.name, values),
            )
            headers.append(_header("Reply-To", _mailbox("Reply-To", reply_to)))
        subject = personalise(content.subject, values)
        headers += [
            _header("Subject", _unstructured("Subject", subject)),
            f"Date: {format_datetime(datetime.now(UTC))}\r\n".encode("ascii"),
            f"Message-ID: {message_id}\r\n".encode("ascii"),
            b"MIME-Version: 1.0\r\n",
            _custom_headers(_merged_headers(content, recipient)),
        ]
        text = _quoted_printable(personalise(self._text, values))
        html = b"" if self._html is None else _quoted_printable(personalise(self._html, values))
        body = self._skeleton_for(recipient).fill(text, html)
        if not body.endswith(b"\r\n"):  # a file and an SMTP DATA end the same way
            body += b"\r\n"
        return RenderedMessage(
            message_id=message_id,
            mail_from=self._mail_from,
            rcpt_to=addr_spec("To", recipient.to.email),
            data=b"".join(headers) + body,
        )


def build_message(
    content: Content, recipient: Recipient, *, message_id_domain: str
) -> EmailMessage:
    """The message of one recipient, parsed back from the exact bytes a backend sends."""
    rendered = MessageRenderer(content, message_id_domain=message_id_domain).render(recipient)
    message = BytesParser(policy=policy.SMTP).parsebytes(rendered.data)
    assert isinstance(message, EmailMessage)
    return message
