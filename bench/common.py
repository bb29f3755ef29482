"""What the benchmarks share: their common options, an empty PostgreSQL database to measure
on, and the CPU time of processes."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def database_parser(description: str, postgres_url: str) -> argparse.ArgumentParser:
    """A parser with the options every benchmark has: --database, --postgres-url, --runs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", choices=("sqlite", "postgres"), required=True)
    parser.add_argument(
        "--postgres-url",
        default=postgres_url,
        help="created if missing; its schema is rebuilt each run",
    )
    parser.add_argument("--runs", type=int, default=3)
    return parser


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process of this machine so far; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
