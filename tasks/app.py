"""The Celery app and the process-wide database of a worker."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from service.config import ConfigError, Settings, load_settings
from service.db import Database

_state: dict[str, Any] = {}


def settings() -> Settings:
    """The settings of this worker process, read once from the environment."""
    if "settings" not in _state:
        _state["settings"] = load_settings()
    value: Settings = _state["settings"]
    return value


def database() -> Database:
    """The Database of this process; a forked child makes its own connections."""
    pid = os.getpid()
    if _state.get("db_pid") != pid:
        _state["db"] = Database(settings().database_url)
        _state["db_pid"] = pid
    value: Database = _state["db"]
    return value


def make_celery(config: Settings) -> Celery:
    """A Celery app on Redis, or on the embedded SQLite broker when REDIS_URL is unset."""
    config.var_dir.mkdir(parents=True, exist_ok=True)
    app = Celery(
        "convier",
        broker=config.broker_url,
        include=["tasks.registrations", "tasks.mail", "tasks.campaigns", "tasks.tracking"],
    )
    app.conf.update(
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
                "task": "convier.tick",
                "schedule": config.tick_seconds,
                "options": {"expires": config.tick_seconds},
            },
        },
        beat_schedule_filename=str(config.var_dir / "celerybeat-schedule"),
        worker_hijack_root_logger=False,
    )
    return app


@worker_process_init.connect
def _fresh_connections(**_kwargs: Any) -> None:
    # Connections inherited from the parent process must never be shared with a child.
    _state.pop("db_pid", None)


try:
    celery = make_celery(settings())
except ConfigError as error:  # `celery -A tasks …` should say what is wrong, not print a traceback
    raise SystemExit(str(error)) from None
