"""gunicorn settings shared by `convier serve` and the container image
(`gunicorn -c python:service.gunicorn_conf service.wsgi:app`)."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

from service.config import ConfigError, load_settings
from service.logs import ContextFilter, logging_config
from service.security import redact_tokens

worker_class = "gthread"
accesslog = "-"
# The request's id (the app's X-Request-ID answer) ties the access line to the app's own lines.
access_log_format = '%(h)s "%(r)s" %(s)s %(M)sms id=%({x-request-id}o)s'
logger_class = "service.gunicorn_conf.RedactingLogger"


def _log_settings() -> tuple[str, str]:
    try:
        settings = load_settings()
    except ConfigError:  # the app says what is wrong when its worker starts
        return "text", "INFO"
    return settings.log_format, settings.log_level


# The master's own lines (starting, booting workers) in the same format as the app's.
logconfig_dict = logging_config(*_log_settings())


class RedactingLogger(Logger):
    """Access and error logs without the personal tokens or the Inbound Parse secret: a link's
    path is its credential."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        # "Error handling request /r/<token>" and the like, before the app could say anything.
        self.error_log.addFilter(ContextFilter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """gunicorn's log atoms, with `/r/<token>` written `/r/…`."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        # Every atom: the request line, the path, and the environ copies ({raw_uri}e…).
        return {
            key: redact_tokens(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }


def on_starting(_server: Any) -> None:
    """Start the request metrics afresh: the files of the workers of a former run are stale."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))


def child_exit(_server: Any, worker: Any) -> None:
    """A worker's request metrics stop counting once it is gone (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
