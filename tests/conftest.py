"""One database per test session (SQLite by default, or TEST_DATABASE_URL), emptied after each
test; the broker is the embedded one unless TEST_REDIS_URL is set. The environment below is
what every process of the session reads: the Celery app of this process, the workers and web
servers the tests start."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from service import create_app
from service.api.services import create_token
from service.config import Settings, load_settings
from service.db import Database
from service.migrate import upgrade
from service.tracking import snapshots
from tests.catalogues import compile_catalogues
from tests.factories import Factory, empty_database
from tests.standins.sendgrid import SendGridStandIn

pytest_plugins = ["tests.browsers"]  # the open_browser fixture of the end-to-end tests

VAR_DIR = Path(tempfile.mkdtemp(prefix="convier-test-"))
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'test.sqlite'}"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
TEST_ENV = {
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": "test-secret-key-0123456789abcdef",
    "SECRET_KEYS_OLD": "",
    "CONVIER_VAR_DIR": str(VAR_DIR),
    "BASE_URL": "http://127.0.0.1:5000",
    "TICK_SECONDS": "3600",
    # Tests click many links from 127.0.0.1 in a minute; the limits have tests of their own.
    "RATE_LIMIT_PER_ADDRESS": "100000 per minute",
    "RATE_LIMIT_PER_LINK": "1000 per minute",
    "RATE_LIMIT_BAD_TOKENS": "1000 per minute",
    "RATE_LIMIT_SIGN_IN": "1000 per minute",
}
os.environ.update(TEST_ENV)


def _reset_schema(url: str) -> None:
    if url.startswith("postgresql"):
        database = Database(url)
        with database.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        database.dispose()
    upgrade(url)


def pytest_report_header() -> list[str]:
    """Say which servers this run uses."""
    return [
        f"database: {DATABASE_URL.split('@')[-1]}",
        f"broker: {REDIS_URL or 'embedded (SQLite)'}",
    ]


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings of the test environment."""
    return load_settings(TEST_ENV)


@pytest.fixture(scope="session")
def db(settings: Settings) -> Iterator[Database]:
    """The test database, migrated once per session by Alembic."""
    _reset_schema(settings.database_url)
    database = Database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "db" not in request.fixturenames:
        return
    empty_database(request.getfixturevalue("db"))
    snapshots.forget()  # the figures kept by this process were of the rows just deleted


@pytest.fixture
def factory(db: Database, settings: Settings) -> Factory:
    """Makes events and invitations."""
    return Factory(db, settings)


@pytest.fixture
def app(db: Database, settings: Settings) -> Iterator[Flask]:
    """The Flask app on the test database."""
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    close_app(application)


def close_app(application: Flask) -> None:
    """Close what an app opened: its database pool, and its rate limiter's Redis connections
    (left to the garbage collector, a socket warns "unclosed" in whatever test runs then)."""
    application.extensions["convier.db"].dispose()
    storage = application.extensions["convier.limiter"].storage
    if hasattr(storage, "get_connection"):
        storage.get_connection().connection_pool.disconnect()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def auth(db: Database) -> dict[str, str]:
    """The header of a valid API bearer token."""
    with db.transaction() as session:
        return {"Authorization": f"Bearer {create_token(session, 'tests')}"}


@pytest.fixture
def standin() -> Iterator[SendGridStandIn]:
    """A SendGrid stand-in on a free port of 127.0.0.1."""
    with SendGridStandIn() as server:
        yield server


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues() -> None:
    """The English pages and emails need the compiled catalogue."""
    compile_catalogues()
