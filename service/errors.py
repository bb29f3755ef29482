"""Friendly pages and JSON bodies for errors: never a traceback for the user."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from service.db import DatabaseBusy
from service.security import redact_tokens

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def _error(
    status: int, code: str, message: str, template: str = "public/error.html"
) -> ResponseReturnValue:
    if _wants_json():
        return {"error": code, "message": message}, status
    try:
        return render_template(template, status=status, code=code), status
    except Exception:  # the error page itself must never fail
        log.exception("error page failed to render")
        return f"<!doctype html><title>{status}</title><p>Erreur {status}.</p>", status


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_failed(_error_: CSRFError) -> ResponseReturnValue:
        return _error(400, "csrf", "The form has expired; reload the page and try again.")

    @app.errorhandler(DatabaseBusy)
    def busy(_error_: DatabaseBusy) -> ResponseReturnValue:
        response = app.make_response(
            _error(503, "busy", "The service is busy; try again in a moment.")
        )
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        if status == 405 or status < 400:
            return exc.get_response()
        return _error(status, exc.name.lower().replace(" ", "_"), exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unexpected error on %s %s", request.method, redact_tokens(request.path))
        return _error(500, "internal", "An unexpected error occurred; it has been logged.")
