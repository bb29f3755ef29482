"""Real processes for end-to-end tests: the web under gunicorn and a Celery worker.

Readiness is awaited on an observable condition (a port answering, a log line), with a bounded
timeout, never with a fixed sleep.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

from service.runner import gunicorn_args

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class LogWatcher:
    """Collects the lines a child process writes, so that tests can wait for one."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self.pid = 0  # the process writing the lines
        self._stream = stream
        self._lock = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for raw in iter(stream.readline, ""):
            with self._lock:
                self.lines.append(raw.rstrip("\n"))
                self._lock.notify_all()

    def close(self) -> None:
        """Read to the end (the process has exited) and close the pipe."""
        self._thread.join(timeout=10)
        self._stream.close()

    def count(self, needle: str | re.Pattern[str]) -> int:
        """How many lines so far contain `needle` (a text, or a pattern searched in each line)."""
        with self._lock:
            return self._count(needle)

    def _count(self, needle: str | re.Pattern[str]) -> int:
        if isinstance(needle, str):
            return sum(needle in line for line in self.lines)
        return sum(needle.search(line) is not None for line in self.lines)

    def wait_for(self, needle: str | re.Pattern[str], times: int = 1, timeout: float = 60) -> None:
        """Block until `needle` has appeared `times` times."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._count(needle) < times:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    tail = "\n".join(self.lines[-30:])
                    raise TimeoutError(
                        f"no {needle!r} ×{times} within {timeout}s; last lines:\n{tail}"
                    )
                self._lock.wait(remaining)


def task_succeeded(name: str) -> re.Pattern[str]:
    """The worker's log line of a task of `name` that succeeded."""
    return re.compile(rf"Task {re.escape(name)}\[[^\]]+\] succeeded")


def _child_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {**os.environ, **(extra or {})}
    env["PYTHONPATH"] = str(ROOT)
    return env


@contextmanager
def live_server(
    env: Mapping[str, str] | None = None,
    workers: int = 2,
    threads: int = 8,
    app: str = "service.wsgi:app",
) -> Iterator[str]:
    """The web application (or the test-only `app`) under gunicorn on a free port; yields its
    base URL."""
    port = free_port()
    args = gunicorn_args(f"127.0.0.1:{port}", workers, threads, app)
    process = subprocess.Popen(
        [*args, "--access-logfile", "/dev/null"], cwd=ROOT, env=_child_env(env),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    log = LogWatcher(process.stderr)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + "\n".join(log.lines[-30:]))
        try:
            return requests.get(f"{base}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(answers, 30, "gunicorn to answer /healthz")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@contextmanager
def celery_worker(
    env: Mapping[str, str] | None = None,
    concurrency: int = 2,
    beat: bool = False,
    queues: str = "interactive,bulk",
    purge: bool = True,
) -> Iterator[LogWatcher]:
    """A real Celery worker (and beat) on the configured broker; yields a watcher of its log.
    Tasks left in the broker by earlier tests (emails of rows long deleted) are purged first,
    unless the test purged them itself and then queued tasks for this worker (`purge=False`)."""
    from tasks.celery_app import get_celery

    if purge:
        get_celery().control.purge()
    args = [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--loglevel=INFO",
            f"--concurrency={concurrency}", "--pool=prefork", f"--queues={queues}",
            "--without-gossip", "--without-mingle",
            f"--hostname=test-{os.getpid()}-{free_port()}@%h"]  # fmt: skip
    if beat:
        args.append("--beat")
    process = subprocess.Popen(
        args, cwd=ROOT, env=_child_env(env), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    log = LogWatcher(process.stdout)
    log.pid = process.pid
    try:
        log.wait_for(" ready.", timeout=60)
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
