"""Contact tasks: check or import a list file uploaded in the back office."""

from __future__ import annotations

from contacts import uploads
from service.queue import IMPORT_TASK
from tasks.celery_app import celery
from tasks.resources import resources


@celery.task(name=IMPORT_TASK, ignore_result=True)
def import_list(import_id: int) -> str:
    """Check or import the upload, as the back office asked; its state once done."""
    worker = resources()
    return uploads.run(worker.db, worker.settings, import_id)
