"""Raw input as it enters the app: ids in URLs no larger than the database can hold, and JSON no
deeper than the parser can read, so that neither ends in a 500."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, Map

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
