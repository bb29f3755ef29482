"""Prometheus metrics at `/metrics`, for a bearer METRICS_TOKEN (no token set: no endpoint).

Two kinds. What the web process measures itself: requests by route, method and status, with
their latency (gunicorn's workers add theirs up through PROMETHEUS_MULTIPROC_DIR when it is set).
And the state of the service, read when Prometheus asks, from where it is kept, so that every
web process answers the same whatever the workers did: outbox rows by status and the age of the
oldest queued, emails sent and failed, the provider's 429s, webhook batches waiting,
registrations by status, and the tasks waiting in each queue."""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, g, request
from kombu import Connection
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from service.config import Settings
from service.db import Database, utcnow
from service.mail.models import Message, MessageStatus
from service.mail.ratelimit import Pause
from service.queue import QUEUES
from service.registrations.models import Registration
from service.tracking.models import WebhookBatch

disable_created_metrics()  # `*_created` series: noise for this service's dashboards
REQUESTS = Counter("convier_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "convier_http_request_duration_seconds", "Time to answer an HTTP request", ["route", "method"]
)

metrics = Blueprint("metrics", __name__)
log = logging.getLogger(__name__)


class ServiceCollector(Collector):
    """The state of the service, read at each scrape."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def collect(self) -> Iterator[Any]:
        """Every family, from the database, the pause store and the broker."""
        now = utcnow()
        with self.db.transaction(write=False) as session:
            by_status: dict[MessageStatus, int] = dict(
                session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
            )
            oldest = session.scalar(
                select(func.min(Message.due_at)).where(Message.status == MessageStatus.QUEUED)
            )
            waiting = session.scalar(
                select(func.count()).where(WebhookBatch.processed_at.is_(None))
            )
            registrations = dict(
                session.execute(
                    select(Registration.status, func.count()).group_by(Registration.status)
                ).all()
            )
        rows = GaugeMetricFamily(
            "convier_outbox_messages", "Outbox rows by status", labels=["status"]
        )
        for status in MessageStatus:
            rows.add_metric([status.value], by_status.get(status, 0))
        yield rows
        yield GaugeMetricFamily(
            "convier_outbox_oldest_queued_age_seconds",
            "How long the oldest queued email has been due (0: none)",
            value=max((now - oldest).total_seconds(), 0) if oldest else 0,
        )
        backend = self.settings.mail_backend
        emails = CounterMetricFamily(
            "convier_emails", "Emails sent or failed, by backend", labels=["status", "backend"]
        )
        for status in (MessageStatus.SENT, MessageStatus.FAILED):
            emails.add_metric([status.value, backend], by_status.get(status, 0))
        yield emails
        yield CounterMetricFamily(
            "convier_provider_throttles",
            "Times the mail provider asked to wait (429)",
            value=Pause(self.settings).throttles(),
        )
        yield GaugeMetricFamily(
            "convier_webhook_batches_waiting", "Event Webhook batches not read yet", value=waiting
        )
        seats = GaugeMetricFamily(
            "convier_registrations", "Registrations by status", labels=["status"]
        )
        for state, count in sorted(registrations.items()):
            seats.add_metric([state.value], count)
        yield seats
        yield self._queues()

    def _queues(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "convier_queue_tasks", "Tasks waiting in each Celery queue", labels=["queue"]
        )
        try:
            with Connection(self.settings.broker_url, connect_timeout=2) as connection:
                channel = connection.default_channel
                for queue in QUEUES:
                    # Declared as the workers declare it (a queue no task has reached yet does
                    # not exist on Redis); the answer holds its length.
                    _, count, _ = channel.queue_declare(queue=queue)
                    family.add_metric([queue], count)
        except Exception as error:  # the broker down: the other metrics still answer
            log.warning("no queue lengths: the broker does not answer (%s)", error)
        return family


def _registry(db: Database, settings: Settings) -> CollectorRegistry:
    """This process's metrics, or every gunicorn worker's in multiprocess mode, and the state."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(ServiceCollector(db, settings))
    return registry


def init_app(app: Flask, settings: Settings) -> None:
    """Measure every request; answer `/metrics` when METRICS_TOKEN is set."""

    @app.before_request
    def _started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _measured(response: Response) -> Response:
        if "metrics_started" in g:
            route = request.url_rule.rule if request.url_rule else "<unknown>"
            LATENCY.labels(route, request.method).observe(time.perf_counter() - g.metrics_started)
            REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        return response

    if settings.metrics_token:
        app.register_blueprint(metrics)


@metrics.get("/metrics")
def scrape() -> Response:
    """The metrics, for `Authorization: Bearer <METRICS_TOKEN>` only."""
    from service.extensions import get_db, get_settings

    settings = get_settings()
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not settings.metrics_token or not hmac.compare_digest(given, settings.metrics_token):
        abort(404)  # the endpoint is not advertised to those without the token
    body = generate_latest(_registry(get_db(), settings))
    return Response(body, mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
