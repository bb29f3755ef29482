"""What the benchmarks share: an empty PostgreSQL database to measure on."""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url


def reset_postgres(url: str) -> None:
    """Create the benchmark database when missing, and give it an empty public schema."""
    target = make_url(url).set(drivername="postgresql")
    admin = target.set(database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as server:
        found = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target.database,))
        if found.fetchone() is None:
            server.execute(f'CREATE DATABASE "{target.database}"')
    with psycopg.connect(target.render_as_string(hide_password=False), autocommit=True) as db:
        db.execute("DROP SCHEMA IF EXISTS public CASCADE")
        db.execute("CREATE SCHEMA public")
