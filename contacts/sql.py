"""SQL whose text stays the same whatever the number of values it is given."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, any_, bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session


def among(
    session: Session, column: InstrumentedAttribute[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """`column IN values`, the values sent as one parameter: `column = ANY(array)` on
    PostgreSQL, `column IN (SELECT value FROM json_each(…))` on SQLite.

    An IN list is a new statement for each number of values, parsed and kept anew: on PostgreSQL
    psycopg parses each one in Python; on SQLite each one stays prepared in the connection's
    statement cache, which then grows with the sizes seen."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String()))
    return column.in_(select(listed.table_valued("value").c.value))
