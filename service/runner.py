"""Starting the web server, the worker and beat, alone or together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType

from service.queue import QUEUES


def gunicorn_args(
    bind: str, workers: int, threads: int, app: str = "service.wsgi:app"
) -> list[str]:
    """The gunicorn command line of the web application (`app`: its WSGI callable)."""
    return [
        sys.executable, "-m", "gunicorn", app,
        "--config", "python:service.gunicorn_conf",
        "--bind", bind, "--workers", str(workers), "--threads", str(threads),
    ]  # fmt: skip


def worker_args(concurrency: int, beat: bool, queues: Sequence[str] = QUEUES) -> list[str]:
    """The celery command line of a worker (and beat) consuming `queues`."""
    args = [
        sys.executable, "-m", "celery", "-A", "tasks", "worker", "--loglevel=INFO",
        f"--concurrency={concurrency}", f"--queues={','.join(queues)}",
    ]  # fmt: skip
    return [*args, "--beat"] if beat else args


def run_gunicorn(bind: str, workers: int, threads: int) -> None:
    """Replace this process with gunicorn."""
    args = gunicorn_args(bind, workers, threads)
    os.execv(args[0], args)  # noqa: S606 - our own interpreter and arguments


def run_worker(concurrency: int, beat: bool, queues: Sequence[str] = QUEUES) -> None:
    """Replace this process with a Celery worker."""
    args = worker_args(concurrency, beat, queues)
    os.execv(args[0], args)  # noqa: S606 - our own interpreter and arguments


def run_all(bind: str) -> None:
    """Run web and worker+beat as children until one stops or Ctrl-C."""
    children = [
        subprocess.Popen(gunicorn_args(bind, 2, 8)),  # noqa: S603 - our own command lines
        subprocess.Popen(worker_args(2, beat=True)),  # noqa: S603
    ]

    def stop(_signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"Convier is running on http://{bind}/ — Ctrl-C to stop", flush=True)
    os.wait()
    stop(signal.SIGTERM, None)
    for child in children:
        child.wait()
