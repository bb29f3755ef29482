"""The stand-in itself: it serves on 127.0.0.1 and records what it accepts.

SendGridStandIn   SendGrid's Mail Send API on 127.0.0.1, recording what it accepts; a
                  context manager, with faults to inject and records to read.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Any

from tests.standins.sendgrid.activity import _activity_message
from tests.standins.sendgrid.expansion import expand
from tests.standins.sendgrid.faults import Fault
from tests.standins.sendgrid.records import AcceptedRequest, Delivery
from tests.standins.sendgrid.server import _Handler, _Server

API_KEY = "SG.standin-key"  # the key the stand-in accepts unless told another one
MAX_BODY_BYTES = 30 * 1024 * 1024


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
