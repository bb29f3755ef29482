"""The SMTP backend: one connection kept across batches, one SMTP transaction per recipient.

How a server's answer becomes a Result:

| when                                                      | Result    |
|-----------------------------------------------------------|-----------|
| 250 after the end of the data                             | SENT      |
| 4xx to MAIL, RCPT, DATA or the end of the data            | RETRY     |
| 5xx to MAIL, RCPT, DATA or the end of the data            | FAILED    |
| cannot connect, TLS or login fails (and the rest of batch)| RETRY     |
| disconnect or timeout before the whole message left       | RETRY     |
| disconnect or timeout waiting for the end-of-data reply   | UNCERTAIN |
| a header we refuse to write (UnsafeHeader)                | FAILED    |

`smtplib.sendmail` raises the same SMTPServerDisconnected whether the server went away at MAIL
or after it had the whole message, so the DATA phase is driven here: the message may have been
accepted exactly when the terminator was handed to the kernel and no reply came back.
A disconnect at MAIL on a connection kept from earlier is a server that closed an idle
connection: we reconnect once and go on.
"""

from __future__ import annotations

import contextlib
import math
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from service.config import Settings
from service.mail.envelope import Batch, Outcome, Result, UnsafeHeader, unsent
from service.mail.mime import MessageRenderer, RenderedMessage


class _Unreachable(Exception):
    """No usable connection: the rest of the batch waits for a retry."""


class _Stale(Exception):
    """The server had closed the connection before this message started."""


def _dot_stuffed(data: bytes) -> bytes:
    """The message as DATA carries it (RFC 5321 4.5.2), terminator included."""
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return re.sub(rb"(?m)^\.", b"..", data) + b".\r\n"


class SmtpBackend:
    """Sends through the server of SMTP_URL (smtp:// with STARTTLS when offered, or smtps://)."""

    batch_size = 100

    def __init__(self, settings: Settings, *, timeout: float | None = None) -> None:
        if not settings.smtp_url:
            raise ValueError("SMTP_URL is not set")
        url = urlsplit(settings.smtp_url)
        self.implicit_tls = url.scheme == "smtps"
        self.host = url.hostname or "localhost"
        self.port = url.port or (465 if self.implicit_tls else 25)
        self.username = unquote(url.username) if url.username else None
        self._password = unquote(url.password or "")
        self.timeout = timeout or settings.mail_request_timeout
        self._connection: smtplib.SMTP | None = None
        self._lock = threading.Lock()  # one transaction at a time on the shared connection

    def send(self, batch: Batch, deadline: float = math.inf) -> list[Outcome]:
        """Send every recipient of `batch`; one Outcome per recipient, in the same order."""
        try:
            renderer = MessageRenderer(batch.content)
        except UnsafeHeader as exc:
            return [Outcome(r.message_id, Result.FAILED, error=str(exc)) for r in batch.recipients]
        outcomes: list[Outcome] = []
        unreachable = ""
        with self._lock:
            for number, recipient in enumerate(batch.recipients):
                if time.time() >= deadline:
                    return outcomes + unsent(batch.recipients[number:])
                if unreachable:
                    outcomes.append(Outcome(recipient.message_id, Result.RETRY, error=unreachable))
                    continue
                try:
                    message = renderer.render(recipient)
                except UnsafeHeader as exc:
                    outcomes.append(Outcome(recipient.message_id, Result.FAILED, error=str(exc)))
                    continue
                try:
                    result, error = self._deliver(message)
                except _Unreachable as exc:
                    unreachable = str(exc)
                    result, error = Result.RETRY, unreachable
                provider_id = (
                    message.message_id if result in (Result.SENT, Result.UNCERTAIN) else ""
                )
                outcomes.append(Outcome(recipient.message_id, result, provider_id, error))
        return outcomes

    def accepted_message_ids(self, message_ids: Iterable[int]) -> set[int]:
        """SMTP cannot be asked what it accepted: none is known to be, so each row is sent again
        (a duplicate is possible, a loss is not; see README)."""
        return set()

    def close(self) -> None:
        """Say QUIT and close the connection kept between batches."""
        with self._lock:
            if self._connection is not None:
                # A server already gone has nothing left to release on our side.
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    self._connection.quit()
                self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        connection: smtplib.SMTP | None = None
        try:
            if self.implicit_tls:
                context = ssl.create_default_context()
                connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            connection.ehlo()
            # Port 587 is submission, where TLS is expected; and a password never goes in clear
            # to a server that offers TLS.
            wants_tls = self.port == 587 or self.username is not None
            if not self.implicit_tls and wants_tls and connection.has_extn("starttls"):
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if self.username is not None:
                connection.login(self.username, self._password)
        except (OSError, smtplib.SMTPException) as exc:
            if connection is not None:
                connection.close()
            raise _Unreachable(f"SMTP server {self.host}:{self.port}: {exc}") from exc
        self._connection = connection
        return connection

    def _deliver(self, message: RenderedMessage) -> tuple[Result, str]:
        reused = self._connection is not None
        try:
            return self._transaction(self._connect(), message)
        except _Stale:
            self._drop()
        if reused:  # most likely an idle connection the server closed: once more on a new one
            try:
                return self._transaction(self._connect(), message)
            except _Stale:
                self._drop()
        return Result.RETRY, "the SMTP server closed the connection before the message"

    def _transaction(
        self, connection: smtplib.SMTP, message: RenderedMessage
    ) -> tuple[Result, str]:
        try:
            code, reply = connection.mail(message.mail_from)
        except smtplib.SMTPServerDisconnected as exc:
            raise _Stale from exc
        if code == 421:  # some servers say so when they close an idle connection
            raise _Stale
        try:
            if code != 250:
                return self._refused(connection, code, reply)
            code, reply = connection.rcpt(message.rcpt_to)
            if code not in (250, 251):
                return self._refused(connection, code, reply)
            connection.putcmd("data")
            code, reply = connection.getreply()
            if code != 354:
                return self._refused(connection, code, reply)
            connection.send(_dot_stuffed(message.data))
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            return Result.RETRY, f"SMTP connection lost before the message was sent: {exc}"
        try:
            code, reply = connection.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            return Result.UNCERTAIN, f"no reply after the message was sent: {exc}"
        if code == 250:
            return Result.SENT, ""
        return self._refused(connection, code, reply)

    def _refused(self, connection: smtplib.SMTP, code: int, reply: bytes) -> tuple[Result, str]:
        """Map a refusal and leave the connection ready for the next transaction."""
        error = f"{code} {reply.decode('utf-8', 'replace')}"
        if code == 421:  # the server is closing the connection
            self._drop()
        else:
            try:
                connection.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
        return (Result.FAILED if 500 <= code < 600 else Result.RETRY), error
