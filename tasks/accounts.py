"""Account tasks: email a back-office account its sign-in link."""

from __future__ import annotations

from service.accounts.emails import send_sign_in_link
from service.queue import SIGN_IN_TASK
from tasks.celery_app import celery
from tasks.resources import resources


@celery.task(name=SIGN_IN_TASK, ignore_result=True)
def sign_in_link(user_id: int, language: str) -> bool:
    """Email the account a new one-time sign-in link."""
    worker = resources()
    return send_sign_in_link(worker.db, worker.settings, worker.backend, user_id, language)
