"""The Celery app. Task modules declare their tasks on `celery` without reading a setting or
opening a connection; `get_celery` configures it from the settings on first use: in a worker
(`celery -A tasks` asks the package for `app`), or in a web process when it first sends a task."""

from __future__ import annotations

from functools import cache
from typing import Any

from celery import Celery
from celery.signals import setup_logging
from kombu import Queue

from service.config import ConfigError, Settings, load_settings
from service.error_reports import init_error_reports
from service.logs import configure_logging
from service.queue import (
    BUILD_TASK,
    DRAIN_BUDGET_SECONDS,
    DRAIN_TASK,
    EVENTS_TASK,
    INTERACTIVE,
    QUEUES,
    ROUTES,
    SEND_TASK,
    TICK_TASK,
)

TASK_MODULES = [
    "tasks.mail",
    "tasks.campaigns",
    "tasks.tracking",
    "tasks.periodic",
    "tasks.accounts",
    "tasks.contacts",
]

celery = Celery("convier", include=TASK_MODULES)


def configure(app: Celery, config: Settings) -> Celery:
    """Put `app` on Redis, or on the embedded SQLite broker when REDIS_URL is unset."""
    config.var_dir.mkdir(parents=True, exist_ok=True)
    app.conf.update(
        broker_url=config.broker_url,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        # Tasks are idempotent by their rows, so a redelivery after a crash is safe.
        task_acks_late=True,
        task_reject_on_worker_lost=False,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            "tick": {
                "task": TICK_TASK,
                "schedule": config.tick_seconds,
                "options": {"expires": config.tick_seconds},
            },
        },
        beat_schedule_filename=str(config.var_dir / "celerybeat-schedule"),
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue=INTERACTIVE,
        task_routes={name: {"queue": queue} for name, queue in ROUTES.items()},
        task_annotations=time_limits(config),
    )
    return app


def time_limits(config: Settings) -> dict[str, dict[str, float]]:
    """Each task's soft time limit (SoftTimeLimitExceeded: the task stops where it is; its rows
    are found again by the tick) and hard one (the process is replaced), in seconds. A send
    outlasts one message in flight; a drain, its budget and one batch."""
    in_flight = config.mail_in_flight_seconds
    soft = {
        SEND_TASK: 2 * in_flight,
        DRAIN_TASK: DRAIN_BUDGET_SECONDS + 2 * in_flight,
        BUILD_TASK: 3600.0,
        EVENTS_TASK: 300.0,
        TICK_TASK: 300.0,
    }
    return {name: {"soft_time_limit": s, "time_limit": s + 60} for name, s in soft.items()}


@setup_logging.connect
def _log_as_the_settings_say(**_kwargs: Any) -> None:
    # Connected, this replaces Celery's own logging set-up in workers and beat alike; errors
    # go to Sentry as well when SENTRY_DSN is set.
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    init_error_reports(settings)


@cache
def get_celery() -> Celery:
    """The app, configured once per process from the environment's settings."""
    try:
        return configure(celery, load_settings())
    except ConfigError as error:  # `celery -A tasks …` says what is wrong, not a traceback
        raise SystemExit(str(error)) from None
