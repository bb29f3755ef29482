"""Registration emails handed to the workers in batches, by one thread of each process.

A confirmation's outbox row is committed with the registration; telling a worker about it is a
publish to the broker, which costs as much as the rest of the registration (a transaction of its
own on the embedded broker). Handed to this thread, the ids committed within `LINGER_SECONDS`
leave in one task, and the request answers without waiting for the broker. Nothing is lost if
the process dies with ids still here: the rows are queued and due, and the beat tick drains them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

LINGER_SECONDS = 0.2
MAX_BATCH = 500
FLUSH_TIMEOUT_SECONDS = 5.0

Publish = Callable[[list[int]], None]


class Handoff:
    """Collects message ids and publishes them, `MAX_BATCH` at most per call of `publish`, from
    a thread started when the first ids come."""

    def __init__(self, publish: Publish, linger: float = LINGER_SECONDS) -> None:
        self._publish = publish
        self._linger = linger
        self._forget()
        # A forked child (a gunicorn or Celery worker) has none of the parent's threads, and its
        # copy of the lock may be held: it starts afresh.
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._ids: list[int] = []
        self._in_flight = 0
        self._changed = threading.Condition()
        self._started = False

    def put(self, message_ids: Sequence[int]) -> None:
        """Publish these ids soon; returns at once."""
        with self._changed:
            if not self._started:
                threading.Thread(target=self._run, name="convier-handoff", daemon=True).start()
                self._started = True
            self._ids.extend(message_ids)
            self._changed.notify_all()

    def flush(self, timeout: float = FLUSH_TIMEOUT_SECONDS) -> bool:
        """Wait until every id put so far is published; False at timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._ids and not self._in_flight, timeout=timeout
            )

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._ids)
                full = len(self._ids) >= MAX_BATCH
            if not full:
                time.sleep(self._linger)  # let the ids of concurrent requests join this batch
            with self._changed:
                batch, self._ids = self._ids[:MAX_BATCH], self._ids[MAX_BATCH:]
                self._in_flight = len(batch)
            try:
                self._publish(batch)
            except Exception:  # the tick finds the rows; this thread must live on
                log.exception("could not hand %d messages to the workers", len(batch))
            with self._changed:
                self._in_flight = 0
                self._changed.notify_all()
