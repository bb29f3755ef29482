"""The migrations build the schema the models describe, on the session's database (SQLite or
PostgreSQL): nothing the models have is missing from them, nothing is there the models lack."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import service.models  # noqa: F401 - every table on Base.metadata
from service.db import Base


def test_the_migrated_schema_is_the_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
