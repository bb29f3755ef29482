"""The migrations build the schema the models describe, on the session's database (SQLite or
PostgreSQL): nothing the models have is missing from them, nothing is there the models lack; a
column added later is filled for the rows already stored, and taken away again by its downgrade."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import SAWarning

import service.models  # noqa: F401 - every table on Base.metadata
from service.db import Base
from service.events.models import Event, Question
from service.migrate import downgrade, upgrade

STRUCTURE = {
    "key": "structure",
    "label": "Vous venez au titre de",
    "kind": "choice",
    "choices": ["Collectivité", "Réseau"],
    "choices_en": ["Local authority", "Network"],
}


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


def _question_columns(db) -> set[str]:
    with db.engine.connect() as connection:
        return {column["name"] for column in inspect(connection).get_columns("question")}


def test_questions_stored_before_english_options_get_none(db, factory, settings):
    event_id = factory.event(questions=[STRUCTURE])
    try:
        downgrade(settings.database_url, "0022")
        assert "choices_en" not in _question_columns(db)
        upgrade(settings.database_url, "0023")
    finally:
        upgrade(settings.database_url)  # the session's database stays at the latest schema
    with db.transaction(write=False) as session:
        question = session.scalars(select(Question).where(Question.event_id == event_id)).one()
        assert (question.choices, question.choices_en) == (["Collectivité", "Réseau"], [])


def _event_columns(db) -> set[str]:
    with db.engine.connect() as connection:
        return {column["name"] for column in inspect(connection).get_columns("event")}


def test_events_stored_before_logos_have_none_and_keep_their_programme(db, factory, settings):
    event_id = factory.event()
    try:
        downgrade(settings.database_url, "0023")
        assert {"organiser_logo", "organiser_logo_type"}.isdisjoint(_event_columns(db))
        upgrade(settings.database_url, "0024")
    finally:
        upgrade(settings.database_url)  # the session's database stays at the latest schema
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Event.organiser_logo, Event.organiser_logo_type).where(Event.id == event_id)
        ).one()
        assert tuple(row) == (None, "")
        # Taking the columns away again kept what refers to the event (no table copied).
        assert [item.title for item in session.get_one(Event, event_id).sessions] == [
            "Introduction"
        ]
