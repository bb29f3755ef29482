"""Celery's entry point: `celery -A tasks worker` and `celery -A tasks beat` find the app as
`tasks.app`, configured at that moment (`celery_app.get_celery`); importing `tasks` or a task
module configures nothing."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Celery asks for `tasks.app` (PEP 562): the configured app rather than the module.
    if name == "app":
        from tasks.celery_app import get_celery

        return get_celery()
    raise AttributeError(name)
