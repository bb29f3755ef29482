"""Friendly pages and JSON bodies for errors: never a traceback for the user. Machines get RFC
9457 problem details; what a service refuses (`service.errors`) is mapped here, once."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import (
    Flask,
    Response,
    current_app,
    got_request_exception,
    jsonify,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from service.db import DatabaseBusy
from service.errors import DomainError, Invalid
from service.extensions import get_db
from service.limits import retry_after
from service.security import LinkRefused, redact_tokens

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
INVALID = "the body has invalid fields"


def problem(status: int, code: str, message: str, errors: list[str] | None = None) -> Response:
    """An RFC 9457 problem details answer; its extension members are `error` (a stable code),
    `message` (the detail again, for older clients) and `errors` (one line per field)."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": message,
        "error": code,
        "message": message,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def _wants_json() -> bool:
    # The door page's script sends JSON and reads JSON, refusals included.
    return request.path.startswith(("/api/", "/webhooks/")) or request.is_json


def _error(
    status: int, code: str, message: str, template: str = "public/error.html"
) -> ResponseReturnValue:
    if _wants_json():
        return problem(status, code, message)
    try:
        return render_template(template, status=status, code=code), status
    except Exception:  # the error page itself must never fail
        log.exception("error page failed to render")
        return f"<!doctype html><title>{status}</title><p>Erreur {status}.</p>", status


def _unavailable() -> ResponseReturnValue:
    """503 with Retry-After: the database cannot answer now (busy or down)."""
    response = current_app.make_response(
        _error(503, "busy", "The service is busy; try again in a moment.")
    )
    response.headers["Retry-After"] = "2"
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_failed(_error_: CSRFError) -> ResponseReturnValue:
        return _error(400, "csrf", "The form has expired; reload the page and try again.")

    @app.errorhandler(DomainError)
    def refused(refusal: DomainError) -> ResponseReturnValue:
        # Raised out of the transaction's block: it has rolled back already.
        if isinstance(refusal, LinkRefused) and not _wants_json():
            return render_template(f"public/{refusal.code}.html"), refusal.status
        if not _wants_json():
            return _error(refusal.status, refusal.code, refusal.message)
        detail = INVALID if isinstance(refusal, Invalid) else refusal.message
        errors = refusal.lines() if refusal.fields else None
        return problem(refusal.status, refusal.code, detail, errors)

    @app.errorhandler(DatabaseBusy)
    def busy(_error_: DatabaseBusy) -> ResponseReturnValue:
        return _unavailable()

    @app.errorhandler(OperationalError)
    def unreachable(error: OperationalError) -> ResponseReturnValue:
        # Raised outside a transaction of ours (a read session): the same answer, logged once.
        get_db().outage.began(error)
        return _unavailable()

    @app.errorhandler(RateLimitExceeded)
    def too_many(_error_: RateLimitExceeded) -> ResponseReturnValue:
        response = app.make_response(
            _error(429, "too_many_requests", "Too many requests; try again later.")
        )
        response.headers["Retry-After"] = str(retry_after())
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
        # Handled here, the error would never reach Flask's own signal: error reports (Sentry)
        # listen to it.
        got_request_exception.send(app, exception=exc)
        return _error(500, "internal", "An unexpected error occurred; it has been logged.")
