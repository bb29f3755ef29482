"""The migrations build the schema the models describe, on the session's database (SQLite or
PostgreSQL): nothing the models have is missing from them, nothing is there the models lack."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import SAWarning

import service.models  # noqa: F401 - every table on Base.metadata
from service.db import Base


def test_the_migrated_schema_is_the_models(db):
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLAlchemy cannot reflect an index on expressions from SQLite (ix_contact_name): it
        # says so and leaves it out of the comparison, which PostgreSQL's run makes in full.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        warnings.filterwarnings("ignore", "autogenerate skipping .* expression-based index")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_name_order_index_is_built(db):
    catalogue = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contact'",
        "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename = 'contact'",
    }[db.engine.dialect.name]
    with db.engine.connect() as connection:
        names = set(connection.exec_driver_sql(catalogue).scalars())
    assert "ix_contact_name" in names
