"""What every handler of the JSON API shares: its blueprint, bearer tokens, bodies and errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, g, request
from pydantic import BaseModel, ValidationError

from service.api.services import check_token
from service.error_pages import INVALID, problem
from service.events.schemas import describe_errors
from service.extensions import get_db

api = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)
JSON = tuple[dict[str, Any], int] | dict[str, Any] | Response


class Problem(Exception):
    """Stops a handler with a problem details answer about the request itself (its JSON, its
    query); what a service refuses is a `service.errors.DomainError` instead."""

    def __init__(self, status: int, code: str, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.answer = (status, code, message, errors)


def parse_body(model: type[M]) -> M:
    """The request's JSON body checked by `model`; Problem 400 or 422 naming each bad field."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise Problem(400, "bad_json", "the body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise Problem(422, "invalid", INVALID, describe_errors(exc)) from None


FLAGS = {"true": True, "1": True, "false": False, "0": False}


def flag_arg(name: str) -> bool:
    """A yes/no query parameter: true, 1, false or 0 (absent: false); Problem 422 otherwise,
    so that `dry_run=True` or `dry_run=yes` never does the real thing by mistake."""
    raw = request.args.get(name)
    if raw is None:
        return False
    if raw not in FLAGS:
        raise Problem(
            422,
            "invalid",
            "the query has invalid parameters",
            [f"{name}: expected true, false, 1 or 0, got {raw[:40]!r}"],
        )
    return FLAGS[raw]


def authenticated(view: F) -> F:
    """Require `Authorization: Bearer <token>` made by `convier token create`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret:
            return _unauthorised("send Authorization: Bearer <token>", 'realm="convier"')
        with get_db().transaction(write=False) as session:
            token = check_token(session, secret.strip())
            if token is None:
                return _unauthorised("unknown or revoked token", 'error="invalid_token"')
            g.api_actor = f"api:{token.name}"  # who the audit log says made a change
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def api_actor() -> str:
    """The audit log's name for the token of this request."""
    return str(g.get("api_actor", "api"))


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`target` with `patch` laid over it (RFC 7396 JSON Merge Patch): objects merge, a null
    removes the member, anything else replaces it."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def _unauthorised(message: str, challenge: str) -> Response:
    """A 401 that says how to authenticate (RFC 6750)."""
    response = problem(401, "unauthorised", message)
    response.headers["WWW-Authenticate"] = f"Bearer {challenge}"
    return response


@api.errorhandler(Problem)
def _problem(error: Problem) -> Response:
    return problem(*error.answer)


@api.after_request
def _headers(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response
