"""Probes for the load balancer and the orchestrator: `/healthz` says the process answers,
`/readyz` that it can serve: the database answers at the schema this code expects, and the
broker that carries the workers' tasks answers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint
from kombu import Connection
from sqlalchemy import text

from service.config import Settings
from service.db import Database
from service.extensions import get_db, get_settings
from service.migrate import alembic_config

health = Blueprint("health", __name__)
log = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2.0


@cache
def schema_heads(database_url: str) -> frozenset[str]:
    """The migrations' heads this code expects (read once: the code does not change)."""
    return frozenset(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def database_problem(db: Database) -> str | None:
    """Why the database cannot serve, or None."""
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    if current != schema_heads(db.url):
        return "the schema is not the one this code expects: run `convier db upgrade`"
    return None


def broker_problem(settings: Settings) -> str | None:
    """Why the broker cannot take tasks, or None."""
    with Connection(settings.broker_url, connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    return None


def _check(probe: Callable[[], str | None]) -> str:
    try:
        problem = probe()
    except Exception as error:  # any failure of the probe is the answer, not a 500
        problem = f"{type(error).__name__}: {str(error).strip()[:200]}"
    return problem or "ok"


@health.get("/healthz")
def alive() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@health.get("/readyz")
def ready() -> tuple[dict[str, object], int]:
    """Readiness: the database (and its schema) and the broker answer; 503 naming what fails."""
    checks = {
        "database": _check(lambda: database_problem(get_db())),
        "broker": _check(lambda: broker_problem(get_settings())),
    }
    ready_ = all(value == "ok" for value in checks.values())
    if not ready_:
        log.warning("not ready: %s", checks)
    return {"status": "ready" if ready_ else "not ready", "checks": checks}, 200 if ready_ else 503
