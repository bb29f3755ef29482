"""Contacts import at scale, on the embedded default (SQLite): peak memory against the file's
size, and how long registrations wait while a large import runs.

Memory: for each of `--sizes` (rows), a seeded CSV as Excel writes it in France (cp1252, `;`,
CRLF, about 80 bytes a row, every address new) is imported into a fresh SQLite database by
`import_contacts` in a fresh spawned process, whose high-water resident set (VmHWM, read from
/proc/self/status after the call) is its peak.

Waits: a fresh SQLite database, and a CSV of `--wait-rows` rows (30 MB by default) imported in a
spawned process, while this process makes a registration-like write every `--every-ms`: one
write transaction (BEGIN IMMEDIATE … COMMIT) that creates a contact, as the registration of a
newcomer does. Each write's latency runs from asking for the transaction to its commit, so it
holds the wait for the lock; the writes run from the import's start to its return.

    .venv/bin/python bench/import_scale.py
    # before: the contacts package of another commit first on the path
    mkdir /tmp/orig && git archive HEAD contacts | tar -x -C /tmp/orig
    cd /tmp && PYTHONPATH=/tmp/orig /work/main/.venv/bin/python /work/main/bench/import_scale.py

Prints one line per run, then Markdown table rows with the median of the runs and each run's
value. Exits non-zero when an import's counts are wrong or a registration failed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import contacts
from contacts.imports import import_contacts
from contacts.services import get_or_create_contact
from service.config import load_settings
from service.db import Database, DatabaseBusy
from service.migrate import upgrade

MB = 1024 * 1024
LINE = "{i}@exemple-{d}.fr;Hélène;Dupré {i};Scop n°{o};Gérante;Occitanie;06 12 34 {p:02d} 78\r\n"


def write_csv(path: Path, rows: int) -> Path:
    """`rows` people, every address new, as Excel writes a CSV in France."""
    with path.open("w", encoding="cp1252", newline="") as file:
        file.write("Courriel;Prénom;Nom;Structure;Fonction;Région;Téléphone\r\n")
        for i in range(rows):
            file.write(LINE.format(i=f"p{i}", d=i % 500, o=i % 97, p=i % 100))
    return path


def environment(workdir: Path) -> dict[str, str]:
    """The settings of a run: a new SQLite database in `workdir`, migrated."""
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'convier.sqlite'}",
        "SECRET_KEY": "bench-import-secret-key-0123456789",
        "CONVIER_VAR_DIR": str(workdir),
    }
    upgrade(env["DATABASE_URL"])
    return env


def peak_mb() -> float:
    """The high-water resident set of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / MB
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_import(env: dict[str, str], path: Path) -> tuple[float, float, int]:
    """Run in a fresh process: import `path`; its wall seconds, peak MB and contacts created."""
    settings = load_settings(env)
    database = Database(settings.database_url)
    started = time.perf_counter()
    report = import_contacts(database, settings, path, "BENCH")
    wall = time.perf_counter() - started
    database.dispose()
    return wall, peak_mb(), report.created


def spawn_import(pool: ProcessPoolExecutor, env: dict[str, str], path: Path) -> Future:
    """child_import in the pool's fresh process."""
    return pool.submit(child_import, env, path)


def new_pool() -> ProcessPoolExecutor:
    """A pool of one spawned process, used once, so that its memory is the import's alone."""
    return ProcessPoolExecutor(1, mp_context=get_context("spawn"), max_tasks_per_child=1)


@dataclass
class MemoryRun:
    rows: int
    megabytes: float  # of the file
    wall: float
    peak_mb: float
    created: int


def memory_run(rows: int) -> MemoryRun:
    """One import of a `rows`-row file into a fresh database, in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="convier-bench-") as folder:
        workdir = Path(folder)
        env = environment(workdir)
        path = write_csv(workdir / "export.csv", rows)
        with new_pool() as pool:
            wall, peak, created = spawn_import(pool, env, path).result()
        return MemoryRun(rows, path.stat().st_size / MB, wall, peak, created)


@dataclass
class WaitRun:
    megabytes: float
    wall: float  # of the import
    created: int
    waits: list[float]  # seconds, one per registration
    failed: int  # registrations refused after the busy timeout


def register(database: Database, number: int) -> float:
    """One registration-like write; the seconds from asking for it to its commit."""
    started = time.perf_counter()
    with database.transaction() as session:
        get_or_create_contact(session, f"registrant{number}@inscriptions.example", "Inscrite")
    return time.perf_counter() - started


def wait_run(rows: int, every: float) -> WaitRun:
    """Registrations every `every` seconds while a `rows`-row file is imported."""
    with tempfile.TemporaryDirectory(prefix="convier-bench-") as folder:
        workdir = Path(folder)
        env = environment(workdir)
        path = write_csv(workdir / "export.csv", rows)
        database = Database(env["DATABASE_URL"])
        waits, failed = [], 0
        with new_pool() as pool:
            running = spawn_import(pool, env, path)
            while not running.done():
                try:
                    waits.append(register(database, len(waits) + failed))
                except DatabaseBusy:
                    failed += 1
                time.sleep(every)
            wall, _, created = running.result()
        database.dispose()
        return WaitRun(path.stat().st_size / MB, wall, created, waits, failed)


def cell(values: list[float], digits: int) -> str:
    """The median in bold, then each run's value."""
    each = " / ".join(f"{v:.{digits}f}" for v in values)
    return f"**{statistics.median(values):.{digits}f}** ({each})"


def memory_row(runs: list[MemoryRun]) -> str:
    """A Markdown row: file, rows, wall s, peak RSS MB."""
    first = runs[0]
    return (
        f"| {first.megabytes:.1f} MB | {first.rows:,} | {cell([r.wall for r in runs], 1)} "
        f"| {cell([r.peak_mb for r in runs], 0)} |"
    )


def wait_row(runs: list[WaitRun]) -> str:
    """A Markdown row: file, import wall s, registrations, longest and p99 wait ms, failed."""
    longest = [max(r.waits, default=0) * 1000 for r in runs]
    p99 = [statistics.quantiles(r.waits, n=100)[98] * 1000 for r in runs]
    count = statistics.median(len(r.waits) + r.failed for r in runs)
    return (
        f"| {runs[0].megabytes:.1f} MB | {cell([r.wall for r in runs], 1)} | {count:.0f} "
        f"| {cell(longest, 0)} | {cell(p99, 0)} | {sum(r.failed for r in runs)} |"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[45_000, 380_000])
    parser.add_argument("--wait-rows", type=int, default=380_000, help="about 30 MB")
    parser.add_argument("--every-ms", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run both measures `--runs` times; 1 when a count was wrong or a registration failed."""
    args = parse_args(argv)
    print(f"contacts package: {Path(contacts.__file__).parent}", flush=True)
    wrong = 0
    memory_rows = []
    for rows in args.sizes:
        runs = []
        for run in range(1, args.runs + 1):
            result = memory_run(rows)
            wrong += result.created != rows
            runs.append(result)
            print(f"memory {rows:,} rows, run {run}: {result}", flush=True)
        memory_rows.append(memory_row(runs))
    waits = []
    for run in range(1, args.runs + 1):
        result = wait_run(args.wait_rows, args.every_ms / 1000)
        wrong += result.created != args.wait_rows or result.failed > 0
        waits.append(result)
        print(
            f"waits, run {run}: import {result.wall:.1f} s, {len(result.waits)} registrations, "
            f"longest {max(result.waits, default=0) * 1000:.0f} ms, {result.failed} failed",
            flush=True,
        )
    print("| file | rows | import wall s | peak RSS MB |\n|---|---|---|---|")
    print("\n".join(memory_rows))
    print(
        "| file | import wall s | registrations | longest wait ms | p99 wait ms | failed |\n"
        "|---|---|---|---|---|---|"
    )
    print(wait_row(waits))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
