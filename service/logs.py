"""How every process logs: one line per record with its time, level, logger and the request or
task it belongs to, as text or (LOG_FORMAT=json) one JSON object per line. Credentials never
reach a line: paths of personal and unsubscribe links and the Inbound Parse secret are written
`…` in every record, whoever logs it (the app, gunicorn, Celery, a library)."""

from __future__ import annotations

import logging
import logging.config
import re
import sys
import uuid
from typing import IO, TYPE_CHECKING, Any

from service.security import redact_tokens

if TYPE_CHECKING:
    from flask import Flask

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(context)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(context)s %(message)s"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The password of a URL (a database's, SMTP_URL's, a broker's): `scheme://user:…@host`.
URL_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]+@")
# Celery's own lines about each tick ("received", "succeeded", beat's "sending due task"): the
# tick runs every TICK_SECONDS, and they would bury the rest; the tick logs one DEBUG line.
ROUTINE_TASKS = ("convier.tick",)
CELERY_ROUTINE_LOGGERS = ("celery.app.trace", "celery.worker.strategy", "celery.beat")


def current_context() -> str:
    """The id of the request or task being served, `-` outside of both."""
    flask = sys.modules.get("flask")  # never imported here: a worker has no request
    if flask is not None and flask.has_request_context():
        return str(flask.g.get("request_id", "-"))
    celery = sys.modules.get("celery")
    task = getattr(celery, "current_task", None) if celery is not None else None
    request_id = getattr(getattr(task, "request", None), "id", None)
    return str(request_id) if request_id else "-"


def redact(record: logging.LogRecord) -> None:
    """Rewrite the record with the credentials of its paths and URLs written `…`."""
    message = record.getMessage()
    redacted = URL_PASSWORD.sub(r"\1…@", redact_tokens(message))
    if redacted != message:
        record.msg, record.args = redacted, None


class ContextFilter(logging.Filter):
    """Adds `context` (the request or task id) to each record and writes credentials `…`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, completed and redacted."""
        record.context = current_context()
        redact(record)
        return True


class RoutineFilter(logging.Filter):
    """Drops Celery's INFO lines about a routine task (the tick), which logs its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but those."""
        message = record.getMessage()
        return record.levelno != logging.INFO or not any(name in message for name in ROUTINE_TASKS)


def logging_config(fmt: str, level: str, stream: IO[str] | None = None) -> dict[str, Any]:
    """The dictConfig of a process: one handler on standard error (or `stream`)."""
    formatter: dict[str, Any] = {"format": TEXT_FORMAT}
    if fmt == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        }
    handler: dict[str, Any] = {
        "class": "logging.StreamHandler",
        "formatter": "main",
        "filters": ["context"],
        "level": level,
    }
    if stream is not None:
        handler["stream"] = stream
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}, "routine": {"()": RoutineFilter}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"level": level, "handlers": ["main"]},
        "loggers": {
            **{name: {"filters": ["routine"]} for name in CELERY_ROUTINE_LOGGERS},
            # Alembic's lines say how it reads the schema, at every /readyz: its warnings only.
            "alembic": {"level": "WARNING"},
            # gunicorn's logs join ours (its access lines already redacted, see gunicorn_conf).
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": True},
        },
    }


def configure_logging(fmt: str, level: str, stream: IO[str] | None = None) -> None:
    """Send every logger of this process through our one handler."""
    logging.config.dictConfig(logging_config(fmt, level, stream))


def init_app(app: Flask) -> None:
    """Give each request an id (the proxy's X-Request-ID when it sends a sane one), logged with
    every line of the request and sent back in the answer."""
    from flask import g, request

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]

    @app.after_request
    def _answer_id(response: Any) -> Any:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
