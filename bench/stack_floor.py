"""Stack floor: how fast the registration rush's clients can drive the smallest Flask app that does
what a registration click must do, on this machine, under the app's own gunicorn command.

For each run and each level of bench/floor_app.py (bare, csrf, db-noping, db, db2: see there),
builds an empty PostgreSQL schema holding `--links` invitations, starts gunicorn as
bench/registration_rush.py does (the app's configuration, gthread, 2 workers × 2 threads, access
log to /dev/null) but serving the floor app, and lets `--clients` clients of the rush click every
link once: GET /r/<token> (page, CSRF token, session cookie), then POST /r/<token>/register,
answered by a 303. Reports clicks/s, latencies, the CPU time per click of gunicorn, of its
PostgreSQL backends and of the clients, and how busy the machine was, other processes included.
Each run waits (up to 2 minutes) until other processes use fewer than `--quiet` cores; a run whose
neighbours used more is repeated (at most `--retries` times) and the quietest attempt kept. Last,
per level, a Markdown table of the medians and the ceiling that the CPU cost allows:
cores × 1000 / (server + PostgreSQL + client CPU ms per click).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/stack_floor.py --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import reset_postgres
from floor_app import invitation, metadata, registration
from registration_rush import (
    Check,
    CpuTimes,
    RunResult,
    free_port,
    gunicorn,
    measure,
    rush,
    server_command,
)
from sqlalchemy import func, insert, select

from service.db import Database

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_floor"
BENCH_DIR = Path(__file__).resolve().parent
LEVELS = {
    "bare": {"CONVIER_FLOOR_LEVEL": "bare"},
    "csrf": {"CONVIER_FLOOR_LEVEL": "csrf"},
    "db-noping": {"CONVIER_FLOOR_LEVEL": "db", "CONVIER_FLOOR_PRE_PING": "0"},
    "db": {"CONVIER_FLOOR_LEVEL": "db", "CONVIER_FLOOR_PRE_PING": "1"},
    "db2": {"CONVIER_FLOOR_LEVEL": "db2", "CONVIER_FLOOR_PRE_PING": "1"},
}
WRITING = ("db", "db2")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=3000, help="distinct links, clicked once")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    parser.add_argument("--levels", default=",".join(LEVELS), help="comma-separated, in order")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="created if missing")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quiet", type=float, default=0.3, help="most other cores for a run")
    parser.add_argument("--retries", type=int, default=2, help="repeats of a run with neighbours")
    args = parser.parse_args(argv)
    args.levels = args.levels.split(",")
    if unknown := set(args.levels) - set(LEVELS):
        parser.error(f"unknown levels {', '.join(sorted(unknown))}; known: {', '.join(LEVELS)}")
    return args


def floor_command(bind: str, workers: int, threads: int) -> list[str]:
    """The rush's gunicorn command line, serving the floor app instead of the application."""
    return [
        "floor_app:create_app()" if arg == "service.wsgi:app" else arg
        for arg in server_command(bind, workers, threads)
    ]


def one_run(
    args: argparse.Namespace, level: str, workdir: Path, url: str | None = None
) -> RunResult:
    """Fresh schema and invitations, fresh server at `level`, one rush, then the rows written.
    `url` is the database (default: `--postgres-url`); an SQLite one is a new file."""
    url = url or args.postgres_url
    if url.startswith("postgresql"):
        reset_postgres(url)
    tokens = [secrets.token_urlsafe(54) for _ in range(args.links)]  # as long as the app's
    database = Database(url)
    port = free_port()
    env = {
        **LEVELS[level],
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(32),
    }
    log = workdir / "gunicorn.log"
    try:
        metadata.create_all(database.engine)
        with database.transaction() as session:
            session.execute(
                insert(invitation), [{"token": t, "first_name": "Personne"} for t in tokens]
            )
        command = floor_command(f"127.0.0.1:{port}", args.workers, args.threads)
        with gunicorn(env, port, args.workers, args.threads, log, command, BENCH_DIR) as server:
            before = CpuTimes.now(server.pid, database)
            load = asyncio.run(rush(f"http://127.0.0.1:{port}", tokens, args.clients))
            cpu = CpuTimes.now(server.pid, database) - before
        with database.transaction(write=False) as session:
            rows = session.scalar(select(func.count()).select_from(registration))
    finally:
        database.dispose()
    expected = args.links if LEVELS[level]["CONVIER_FLOOR_LEVEL"] in WRITING else 0
    if load.errors:
        for error in sorted(set(load.errors)):
            print(f"  error: {error} ×{load.errors.count(error)}", file=sys.stderr)
        tail = log.read_text().splitlines()[-20:]
        print("  end of the gunicorn log:", *tail, sep="\n    ", file=sys.stderr)
    return measure(load, cpu, args.links, [Check(f"{expected} rows", rows == expected)])


def cpu_per_click(result: RunResult) -> float:
    """Server, PostgreSQL and client CPU seconds per click."""
    return result.server_cpu + result.database_cpu + result.client_cpu


def describe(level: str, result: RunResult) -> str:
    """One line about one run."""
    return (
        f"{level:9} {result.rate:4.0f} clicks/s; click p50/p99 {result.click_p50 * 1000:.0f}/"
        f"{result.click_p99 * 1000:.0f} ms; POST p99 {result.post_p99 * 1000:.0f} ms; "
        f"{result.errors} errors; failed checks: {', '.join(result.failed_checks) or 'none'}; "
        f"CPU ms/click: server {result.server_cpu * 1000:.2f}, PostgreSQL "
        f"{result.database_cpu * 1000:.2f}, clients {result.client_cpu * 1000:.2f}; machine "
        f"{result.machine_busy:.0%} busy, other processes {result.other_cores:.2f} cores"
    )


def busy_cores(seconds: float = 2.0) -> float:
    """How many cores the machine keeps busy over the next `seconds` (Linux /proc/stat)."""

    def ticks() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(values) - values[3] - values[4], sum(values)  # busy, all (idle, iowait out)

    busy, total = ticks()
    time.sleep(seconds)
    busy_after, total_after = ticks()
    return (os.cpu_count() or 1) * (busy_after - busy) / max(total_after - total, 1)


def wait_for_quiet(limit: float, timeout: float = 120.0) -> None:
    """Return once the machine, idle of ours, keeps fewer than `limit` cores busy, or at timeout."""
    deadline = time.monotonic() + timeout
    while busy_cores() > limit and time.monotonic() < deadline:
        pass


def quiet_run(args: argparse.Namespace, level: str) -> RunResult:
    """One run of `level` on a quiet machine, repeated while neighbours were busy; the quietest."""
    attempts = []
    for _ in range(args.retries + 1):
        wait_for_quiet(args.quiet)
        with tempfile.TemporaryDirectory(prefix="convier-floor-") as workdir:
            attempts.append(one_run(args, level, Path(workdir)))
        print(f"  {describe(level, attempts[-1])}", flush=True)
        if attempts[-1].other_cores <= args.quiet:
            break
        print(f"  ^ busy neighbours (> {args.quiet} cores)", flush=True)
    return min(attempts, key=lambda result: result.other_cores)


TABLE_HEADER = (
    "| level | clicks/s | click p50 ms | click p99 ms | POST p99 ms | CPU ms/click: server "
    "/ PostgreSQL / clients | ceiling clicks/s | machine busy | other processes, cores "
    "| runs: clicks/s (other cores) |\n|---|---|---|---|---|---|---|---|---|---|"
)


def table_row(level: str, results: list[RunResult]) -> str:
    """A Markdown row under TABLE_HEADER: the medians over the runs, then the runs one by one."""

    def median(name: str, scale: float = 1000, digits: int = 0) -> str:
        return f"{statistics.median(getattr(r, name) for r in results) * scale:.{digits}f}"

    cpu = statistics.median(cpu_per_click(r) for r in results)
    cells = [
        level,
        median("rate", scale=1),
        *(median(name) for name in ("click_p50", "click_p99", "post_p99")),
        " / ".join(median(name, digits=2) for name in ("server_cpu", "database_cpu", "client_cpu")),
        f"{(os.cpu_count() or 1) / cpu:.0f}",
        f"{median('machine_busy', scale=100)} %",
        median("other_cores", scale=1, digits=2),
        ", ".join(f"{r.rate:.0f} ({r.other_cores:.2f})" for r in results),
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    """Every level `--runs` times, interleaved; the table of medians; 1 when anything failed."""
    args = parse_args(argv)
    results: dict[str, list[RunResult]] = {level: [] for level in args.levels}
    for run in range(1, args.runs + 1):
        print(f"run {run}/{args.runs}", flush=True)
        for level in args.levels:
            results[level].append(quiet_run(args, level))
    print(f"\n{os.cpu_count()} cores; ceiling = cores × 1000 / CPU ms per click (all three)")
    print(TABLE_HEADER)
    for level, runs in results.items():
        print(table_row(level, runs))
    failed = [r for runs in results.values() for r in runs if r.errors or r.failed_checks]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
