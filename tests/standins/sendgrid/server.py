"""The HTTP side of the stand-in: Mail Send, the Email Activity API and /_standin/ control.

Private: `_Server` (a threading HTTP server that knows its stand-in) and `_Handler` (the
routes); `SendGridStandIn` in `standin.py` starts them.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.standins.sendgrid.activity import parse_activity_query
from tests.standins.sendgrid.checks import check_mail_send
from tests.standins.sendgrid.faults import Fault
from tests.standins.sendgrid.fields import _error

if TYPE_CHECKING:
    from tests.standins.sendgrid.standin import SendGridStandIn

RATE_LIMIT = 600  # what the X-RateLimit-Limit header of a 429 says


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
