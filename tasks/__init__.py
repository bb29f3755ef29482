"""Celery: `celery -A tasks worker` and `celery -A tasks beat` find the app here."""

from tasks.app import celery as app
from tasks.registrations import tick

__all__ = ["app", "tick"]
