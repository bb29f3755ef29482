"""Raw input as it enters the app: ids in URLs no larger than the database can hold, JSON no
deeper than the parser can read, so that neither ends in a 500; and bodies no larger than the
app-wide limit, except the list files of the views that take them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, Map

View = TypeVar("View", bound=Callable[..., Any])
UPLOADS = "convier_takes_list_files"
# Our ids are PostgreSQL integers; a larger one names no row (404), it must not reach the query.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in our routes: 0 to MAX_ID; any other number matches no route."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int = 0, max: int = MAX_ID):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


def parse_json(text: str | bytes) -> Any:
    """The JSON value of `text`; ValueError for invalid JSON, and for JSON nested so deeply that
    Python's parser would exhaust its stack."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies with parse_json."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a request body; ValueError for bad or too deeply nested JSON."""
        return parse_json(s)


def init_app(app: Flask) -> None:
    """Before any route is added: bounded ids, and the JSON provider."""
    app.url_map.converters["int"] = IdConverter
    app.json = JSONProvider(app)


def takes_list_files(view: View) -> View:
    """Mark a view whose request may carry a list file, up to IMPORT_MAX_MB."""
    setattr(view, UPLOADS, True)
    return view


def init_upload_limit(app: Flask, limit: int) -> None:
    """Before anything reads a body (the CSRF check reads forms): the views marked by
    takes_list_files accept `limit` bytes, the others the app's MAX_CONTENT_LENGTH."""

    def raise_limit() -> None:
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, UPLOADS, False):
            request.max_content_length = limit

    app.before_request(raise_limit)
