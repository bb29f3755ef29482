"""An SMTP server that keeps what it receives, for tests and benchmarks (aiosmtpd).

In tests: `with SmtpSink() as sink:` then point SMTP_URL at `sink.url`; failures can be
injected (a 451 at RCPT, a 550 for one address, a 5xx after the data, a disconnect after the
data). For benchmarks: `python -m tests.standins.smtp --port N --count-file PATH`, which keeps
only counts and writes them to PATH as JSON ten times a second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import threading
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.servers import free_port


@dataclass(frozen=True)
class Received:
    """One message as the sink got it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    def parsed(self) -> EmailMessage:
        """The message parsed back as a mail client would."""
        message = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(message, EmailMessage)
        return message


class _Handler:
    """aiosmtpd hooks; runs on the controller's event loop thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self.sink._rcpt_reply(address)
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:  # noqa: N802
        return self.sink._data_reply(server, envelope)


class _Authenticator:
    """Accepts one login and password (AUTH PLAIN or LOGIN)."""

    def __init__(self, login: str, password: str) -> None:
        self.expected = LoginPassword(login.encode(), password.encode())

    def __call__(
        self, server: SMTP, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        return AuthResult(success=data == self.expected, handled=False)


class _CountingController(Controller):
    def __init__(self, sink: SmtpSink, **kwargs: Any) -> None:
        super().__init__(_Handler(sink), **kwargs)
        self.sink = sink

    def factory(self) -> SMTP:
        sink = self.sink

        class CountingSMTP(SMTP):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sink._connected(transport)
                super().connection_made(transport)

        return CountingSMTP(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """An SMTP server on 127.0.0.1 recording envelopes and raw bytes, thread-safe."""

    def __init__(
        self,
        port: int | None = None,
        *,
        keep: bool = True,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.keep = keep
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._count = 0
        self._connections = 0
        self._refused: dict[str, str] = {}
        self._rcpt_failures: deque[str] = deque()
        self._data_failures: deque[str] = deque()
        self._transports: list[asyncio.BaseTransport] = []
        auth: dict[str, Any] = {}
        if credentials:
            auth = {"authenticator": _Authenticator(*credentials), "auth_require_tls": False}
        self._controller = _CountingController(self, hostname=self.host, port=self.port, **auth)

    @property
    def url(self) -> str:
        """The SMTP_URL of this sink."""
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        """Listen until stop()."""
        self._controller.start()
        with self._lock:
            self._connections = 0  # aiosmtpd's own readiness probe is not a client
            self._transports = []

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def messages(self) -> list[Received]:
        """Messages accepted so far (250 after the data), in order."""
        with self._lock:
            return list(self._messages)

    @property
    def count(self) -> int:
        """How many messages were accepted."""
        with self._lock:
            return self._count

    @property
    def connections(self) -> int:
        """How many client connections were opened."""
        with self._lock:
            return self._connections

    def refuse(self, address: str, reply: str = "") -> None:
        """Answer RCPT TO for `address` with a permanent failure."""
        with self._lock:
            self._refused[address.lower()] = reply or f"550 5.1.1 <{address}>: user unknown"

    def defer_next(self, times: int = 1, reply: str = "451 4.7.1 Greylisted, try later") -> None:
        """Answer the next `times` RCPT TO with a temporary failure."""
        with self._lock:
            self._rcpt_failures.extend([reply] * times)

    def reject_next_data(self, reply: str = "554 5.7.1 Message refused", times: int = 1) -> None:
        """Answer the end of the data of the next `times` messages with `reply`."""
        with self._lock:
            self._data_failures.extend([reply] * times)

    def disconnect_after_next_data(self, times: int = 1) -> None:
        """Close the connection instead of answering the end of the next `times` messages."""
        with self._lock:
            self._data_failures.extend(["disconnect"] * times)

    def drop_connections(self) -> None:
        """Close every open connection, as a server does with idle clients."""

        async def drop() -> None:
            with self._lock:
                transports, self._transports = self._transports, []
            for transport in transports:
                transport.abort()

        asyncio.run_coroutine_threadsafe(drop(), self._controller.loop).result(timeout=5)

    def _connected(self, transport: asyncio.BaseTransport) -> None:
        with self._lock:
            self._connections += 1
            self._transports = [t for t in self._transports if not t.is_closing()]
            self._transports.append(transport)

    def _rcpt_reply(self, address: str) -> str:
        with self._lock:
            if address.lower() in self._refused:
                return self._refused[address.lower()]
            if self._rcpt_failures:
                return self._rcpt_failures.popleft()
        return "250 OK"

    def _data_reply(self, server: SMTP, envelope: Any) -> str:
        with self._lock:
            failure = self._data_failures.popleft() if self._data_failures else None
            if failure is None:
                self._count += 1
                if self.keep:
                    received = Received(
                        envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content
                    )
                    self._messages.append(received)
        if failure == "disconnect":
            # The whole message arrived; the client never learns whether it was accepted.
            assert server.transport is not None
            server.transport.abort()
            return "250 OK (never sent, the connection is gone)"
        return failure or "250 OK"


def _write_counts(sink: SmtpSink, path: Path, stop: threading.Event) -> None:
    last = None
    while True:
        stopping = stop.wait(0.1)
        counts = {"messages": sink.count, "connections": sink.connections}
        if counts != last:
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(json.dumps(counts))
            os.replace(temporary, path)
            last = counts
        if stopping:
            return


def main() -> None:
    """Run a sink until SIGINT or SIGTERM, keeping counts only."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count-file", type=Path, help="JSON counts, rewritten every 0.1 s")
    args = parser.parse_args()
    sink = SmtpSink(args.port, keep=False)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with sink:
        print(f"SMTP sink listening on {sink.url}", flush=True)
        writer = None
        if args.count_file:
            writer = threading.Thread(target=_write_counts, args=(sink, args.count_file, stop))
            writer.start()
        while not stop.wait(0.5):
            pass
        if writer:
            writer.join()
    print(f"SMTP sink stopped: {sink.count} messages, {sink.connections} connections", flush=True)


if __name__ == "__main__":
    main()
