"""gunicorn settings shared by `convier serve` and the container image
(`gunicorn -c python:service.gunicorn_conf service.wsgi:app`)."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger

from service.security import redact_tokens

worker_class = "gthread"
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(M)sms'
logger_class = "service.gunicorn_conf.RedactingLogger"


class RedactingFilter(logging.Filter):
    """Rewrites each record with the credentials of its paths written `…`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, redacted."""
        message = record.getMessage()
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RedactingLogger(Logger):
    """Access and error logs without the personal tokens or the Inbound Parse secret: a link's
    path is its credential."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        # "Error handling request /r/<token>" and the like, before the app could say anything.
        self.error_log.addFilter(RedactingFilter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """gunicorn's log atoms, with `/r/<token>` written `/r/…`."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        # Every atom: the request line, the path, and the environ copies ({raw_uri}e…).
        return {
            key: redact_tokens(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
