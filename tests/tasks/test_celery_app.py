"""The Celery app is built on first use: importing the task modules reads no setting."""

from __future__ import annotations

import os
import subprocess
import sys

from service.config import load_settings
from tests.servers import ROOT

IMPORT_EVERY_TASK_MODULE = """
from tasks.celery_app import TASK_MODULES, celery
import importlib
for name in TASK_MODULES:
    importlib.import_module(name)
print(celery.conf.broker_url, sorted(t for t in celery.tasks if t.startswith("convier.")))
"""


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_importing_the_tasks_needs_no_settings():
    bare = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)}
    imported = _python(IMPORT_EVERY_TASK_MODULE, bare)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split(" ", 1) == [
        "None",
        "['convier.accounts.sign_in_link', 'convier.campaign.build', 'convier.contacts.import', "
        "'convier.mail.drain', 'convier.mail.send', 'convier.tick', 'convier.tracking.events']\n",
    ]


def test_the_worker_entry_point_configures_the_app_or_says_what_is_wrong():
    found = "from celery.app.utils import find_app; print(find_app('tasks').conf.broker_url)"
    configured = _python(found, dict(os.environ))
    assert configured.returncode == 0, configured.stderr
    assert configured.stdout.strip() == load_settings().broker_url
    bare = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "DATABASE_URL": "sqlite://"}
    refused = _python(found, bare)
    assert refused.returncode == 1
    assert "SECRET_KEY: required with DATABASE_URL" in refused.stderr
    assert "Traceback" not in refused.stderr
