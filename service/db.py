"""Engine, sessions and transactions: one owner of each transaction, write transactions serialised
on SQLite with BEGIN IMMEDIATE."""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, Integer, MetaData, any_, bindparam, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Base(DeclarativeBase):
    """Declarative base of every model, with named constraints for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite gives them back naive, this gives them back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """Enums are stored by value, as plain strings, so that the database stays readable."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def isoformat(value: datetime | None) -> str | None:
    """An instant as ISO 8601 text for JSON, or None."""
    return value.isoformat() if value else None


def insert_ignoring_duplicates(session: Session | str, target: Any, *unique_columns: Any) -> Any:
    """INSERT … ON CONFLICT (unique_columns) DO NOTHING, on PostgreSQL and SQLite alike, for the
    database of `session` or the dialect named."""
    name = session if isinstance(session, str) else session.get_bind().dialect.name
    dialect = postgresql if name == "postgresql" else sqlite
    return dialect.insert(target).on_conflict_do_nothing(index_elements=list(unique_columns))


def among(session: Session, column: Any, ids: Sequence[int], name: str) -> Any:
    """`column` is one of `ids`: one array parameter on PostgreSQL (the statement is the same
    whatever the number of ids), an IN list elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(name, list(ids), type_=postgresql.ARRAY(Integer)))
    return column.in_(ids)


AFTER_COMMIT = "convier.after_commit"


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run `callback` once the transaction of `session` has committed, never if it rolls back
    (a task or an email must not leave for a change that did not happen)."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


class DatabaseBusy(Exception):
    """The database cannot do the work now (locked past the busy timeout, or unreachable);
    the caller should answer 503, or try again later."""


class DatabaseUnavailable(DatabaseBusy):
    """The database could not be reached, or dropped the connection."""


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling would BEGIN late and DEFERRED; take it over so that
    # write transactions start with BEGIN IMMEDIATE and never fail to upgrade their lock.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode != "NONE":
            connection.exec_driver_sql(f"BEGIN {mode}")


def _json_dumps(value: Any) -> str:
    # Accented text stays readable in the database, and searchable as written (tags: "élu").
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and explicit BEGIN."""
    kwargs.setdefault("json_serializer", _json_dumps)
    if url.startswith("sqlite"):
        kwargs.setdefault(
            "connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Outage:
    """Logs one line when the database stops answering and one when it answers again, however
    many requests fail in between."""

    def __init__(self) -> None:
        self.since: float | None = None

    def began(self, error: Exception) -> None:
        """A statement failed for want of a database."""
        if self.since is None:
            self.since = time.monotonic()
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0:1]
            log.error("the database does not answer: %s", reason[0] if reason else error)

    def ended(self) -> None:
        """A transaction committed."""
        if self.since is not None:
            log.warning("the database answers again, after %.0f s", time.monotonic() - self.since)
            self.since = None


class Database:
    """The engine and session factories of one process."""

    def __init__(self, url: str, **engine_kwargs: Any):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        writer_bind = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self._writer = sessionmaker(writer_bind, expire_on_commit=False)
        self.outage = Outage()

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        session = (self._writer if write else self._reader)()
        try:
            yield session
            reached = session.in_transaction()  # a statement ran: the database answered
            session.commit()
            if reached:
                self.outage.ended()
            for callback in session.info.pop(AFTER_COMMIT, []):
                callback()
        except OperationalError as exc:
            with contextlib.suppress(SQLAlchemyError):  # the connection may be gone
                session.rollback()
            if "database is locked" in str(exc.orig):
                raise DatabaseBusy(str(exc.orig)) from exc
            self.outage.began(exc)
            raise DatabaseUnavailable(str(exc.orig).strip()) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def read(self) -> Session:
        """A session for reads only; the caller closes it."""
        return self._reader()

    def dispose(self) -> None:
        """Close every pooled connection (after a fork, or at exit)."""
        self.engine.dispose()
