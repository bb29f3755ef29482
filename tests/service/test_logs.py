"""Every process logs with time, level, logger and the request or task id, as text or JSON,
and no credential reaches a line."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from service import create_app
from service.logs import CELERY_ROUTINE_LOGGERS, configure_logging
from service.security import Purpose, make_token
from tests.servers import celery_worker

TOUCHED = ("", *CELERY_ROUTINE_LOGGERS, "gunicorn.error", "gunicorn.access")


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """What this process logs, in JSON, for the test; the logging set-up is given back after."""
    saved = {
        name: (list(lg.handlers), list(lg.filters), lg.level, lg.propagate)
        for name in TOUCHED
        if (lg := logging.getLogger(name))
    }
    stream = io.StringIO()
    configure_logging("json", "INFO", stream)
    yield stream
    for name, (handlers, filters, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.filters[:] = handlers, filters
        logger.level, logger.propagate = level, propagate


def lines(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_logs_json_lines_with_its_id_and_no_personal_link(settings, logged):
    app = create_app(settings)
    token = make_token(settings.signing_keys, Purpose.INVITATION, "someone")

    @app.get("/log-something")
    def log_something() -> str:
        logging.getLogger("service.example").info("opened /r/%s for them", token)
        return "ok"

    answer = app.test_client().get("/log-something")
    given = app.test_client().get("/log-something", headers={"X-Request-ID": "proxy-42"})
    forged = app.test_client().get("/log-something", headers={"X-Request-ID": "a b;c"})
    app.extensions["convier.db"].dispose()
    records = [r for r in lines(logged) if r["logger"] == "service.example"]
    assert [r["context"] for r in records] == [
        answer.headers["X-Request-ID"],
        "proxy-42",
        forged.headers["X-Request-ID"],
    ]
    assert given.headers["X-Request-ID"] == "proxy-42"
    assert re.fullmatch(r"[0-9a-f]{16}", forged.headers["X-Request-ID"])
    assert {r["message"] for r in records} == {"opened /r/… for them"}
    assert token not in logged.getvalue()
    assert {"time", "level", "logger", "context", "message"} <= set(records[0])
    assert records[0]["level"] == "INFO"


def test_passwords_in_urls_are_written_with_an_ellipsis(logged):
    logging.getLogger("service.example").warning(
        "cannot reach smtp://mailer:s3cr3t@smtp.example.org:587 nor %s",
        "postgresql+psycopg://convier:hunter2@db:5432/convier",
    )
    [record] = lines(logged)
    assert record["message"] == (
        "cannot reach smtp://mailer:…@smtp.example.org:587 nor "
        "postgresql+psycopg://convier:…@db:5432/convier"
    )


def test_celerys_lines_about_the_tick_are_dropped_and_the_others_kept(logged):
    trace = logging.getLogger("celery.app.trace")
    trace.info("Task convier.tick[abc] succeeded in 0.01s: 0")
    trace.info("Task convier.mail.send[def] succeeded in 0.02s: True")
    assert [r["message"] for r in lines(logged)] == [
        "Task convier.mail.send[def] succeeded in 0.02s: True"
    ]


def test_a_worker_logs_json_lines_with_the_task_id(db):
    from tasks.periodic import tick

    ticked = re.compile(r'"logger": "tasks\.periodic"')
    with celery_worker({"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}, concurrency=1) as log:
        sent = tick.delay()
        log.wait_for(ticked, timeout=60)
    [line] = [line for line in log.lines if ticked.search(line)]
    record = json.loads(line)
    assert record["context"] == sent.id
    assert record["message"] == "tick: 0 seat offers expired"
    assert record["level"] == "DEBUG"


def test_readiness_probes_leave_no_line_at_info(settings, db, logged):
    app = create_app(settings)
    try:
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        app.extensions["convier.db"].dispose()
    assert [r["logger"] for r in lines(logged)] == []
