"""`/metrics` for Prometheus: only for its token; requests measured; the service's state read
from the database, the pause store and the broker."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace

from prometheus_client.parser import text_string_to_metric_families

from service import create_app
from service.mail.ratelimit import Pause
from service.registrations import services
from tests.helpers import act
from tests.mail.conftest import queue_invitations
from tests.servers import ROOT

TOKEN = "metrics-token-0123456789abcdef"


def samples(answer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    families = text_string_to_metric_families(answer.get_data(as_text=True))
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def test_metrics_need_their_token(client, settings):
    assert client.get("/metrics").status_code == 404  # no METRICS_TOKEN: no endpoint
    app = create_app(replace(settings, metrics_token=TOKEN))
    try:
        scraper = app.test_client()
        assert scraper.get("/metrics").status_code == 404
        wrong = scraper.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 404
        right = scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert right.mimetype == "text/plain"
    finally:
        app.extensions["convier.db"].dispose()


def test_metrics_say_what_the_service_is_doing(db, factory, settings):
    queued = queue_invitations(db, factory, 3)
    event_id = factory.event(capacity=1)
    people = factory.invitees(event_id, 2)
    for person in people:
        act(db, person.invitation_id, services.register, {})
    Pause(settings).hold_until(time.time() + 1)
    app = create_app(replace(settings, metrics_token=TOKEN))
    try:
        scraper = app.test_client()
        scraper.get("/healthz")
        measured = samples(scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}))
    finally:
        app.extensions["convier.db"].dispose()
    # Three invitations and the two registrations' notices (confirmation, waitlisted).
    assert measured["convier_outbox_messages", (("status", "queued"),)] == len(queued) + 2
    assert measured["convier_outbox_oldest_queued_age_seconds", ()] >= 0
    assert measured["convier_registrations", (("status", "confirmed"),)] == 1
    assert measured["convier_registrations", (("status", "waitlisted"),)] == 1
    assert measured["convier_provider_throttles_total", ()] >= 1
    assert measured["convier_emails_total", (("backend", "file"), ("status", "sent"))] == 0
    assert ("convier_queue_tasks", (("queue", "bulk"),)) in measured
    healthz = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    assert measured["convier_http_requests_total", healthz] >= 1


def test_the_grafana_dashboard_shows_only_metrics_the_service_exposes(db, settings):
    app = create_app(replace(settings, metrics_token=TOKEN))
    try:
        answer = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        app.extensions["convier.db"].dispose()
    exposed = {f.name for f in text_string_to_metric_families(answer.get_data(as_text=True))}
    dashboard = json.loads((ROOT / "deploy/grafana/convier.json").read_text(encoding="utf-8"))
    shown = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"convier_\w+", target["expr"])
    }
    shown = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in shown}
    assert len(dashboard["panels"]) >= 9
    assert shown == exposed  # every metric on a panel, none that the service lacks
