"""Registration rush (issue 2): many personal links clicked at once against the web under gunicorn.

Each run builds a fresh database holding one event of `--seats` seats and `--links` invitations,
starts gunicorn on a free loopback port, and lets `--clients` concurrent clients click every link
once, as a browser does: GET /r/<token> (the page, a CSRF token and a session cookie), then
POST /r/<token>/register (answered by a 303). It then checks from the database that exactly
`--seats` seats are held and that everyone else waits in a contiguous waitlist, in the order
in which the seats were decided.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/registration_rush.py --database postgres
    .venv/bin/python bench/registration_rush.py --database sqlite

The clients run on the same machine as the server. Besides latencies, each run reports the CPU
time that the server, its PostgreSQL backends and the clients spent per registration, and how
busy the machine was, including other people's processes (read from Linux /proc): on a shared
machine, a run with busy neighbours is not comparable to one without.

Prints one line per run and, last, a Markdown table row holding the median of the runs. Exits
non-zero when a request failed or a check did not hold.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field
from datetime import date
from pathlib import Path
from urllib.error import URLError

import aiohttp
from common import CLOCK_TICKS, cpu_seconds, database_parser, reset_postgres
from sqlalchemy import func, select, text

from contacts.models import Contact
from service.config import Settings, load_settings
from service.db import Database
from service.events.models import Event
from service.events.schemas import EventIn
from service.events.services import create_event
from service.migrate import upgrade
from service.registrations.invitations import invitation_token
from service.registrations.models import Invitation, Registration, RegistrationStatus
from service.runner import gunicorn_args
from service.security import new_public_id

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_rush"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
STARTUP_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 120.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = database_parser(__doc__.split("\n\n")[0], POSTGRES_URL)
    parser.add_argument("--links", type=int, default=3000, help="distinct invitation links")
    parser.add_argument("--seats", type=int, default=300, help="capacity of the event")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    parser.add_argument(
        "--redis-url",
        help="the app's REDIS_URL (broker, rate limits); unset: the embedded SQLite broker",
    )
    parser.add_argument(
        "--against-floor",
        action="store_true",
        help="alternate each run with one of the stack's floor (bench/stack_floor.py, db2)",
    )
    return parser.parse_args(argv)


# --- the database --------------------------------------------------------------------------


def event_spec(seats: int) -> EventIn:
    """An event next year, with a short programme and one optional question, as organisers write."""
    return EventIn.model_validate(
        {
            "slug": "registration-rush",
            "title": "Rencontre très demandée",
            "description": "Une rencontre dont les places partent en quelques minutes.",
            "date": date(date.today().year + 1, 6, 18).isoformat(),
            "starts": "14:30",
            "ends": "17:30",
            "venue": {"name": "Auditorium", "address": "17-21 place Étienne Pernet, 75015 Paris"},
            "capacity": seats,
            "registration": {"waitlist_policy": "offer"},
            "organiser": {"name": "Le Labo", "email": "contact@example.org"},
            "programme": [
                {
                    "starts": "14:30",
                    "ends": "15:00",
                    "title": "Introduction",
                    "speakers": [{"name": "Odile Kirchner"}],
                },
                {"starts": "15:00", "ends": "17:00", "title": "Table ronde"},
            ],
            "questions": [
                {"key": "lunch", "label": "Déjeunerez-vous sur place ?", "kind": "yes_no"}
            ],
        }
    )


def populate(database: Database, settings: Settings, links: int, seats: int) -> list[str]:
    """Create the event and its invitations in one transaction; the tokens of their links."""
    with database.transaction() as session:
        event = create_event(session, event_spec(seats), settings.tz)
        invitations = [
            Invitation(
                event=event,
                contact=Contact(
                    email=f"invite{i:05d}@example.org", first_name="Personne", last_name=str(i)
                ),
                public_id=new_public_id(),
                token_version=1,
            )
            for i in range(links)
        ]
        session.add_all(invitations)
        session.flush()
        return [invitation_token(settings, invitation) for invitation in invitations]


@dataclass
class Check:
    """One property of the database after the rush, and whether it holds."""

    name: str
    ok: bool


def verify(database: Database, links: int, seats: int) -> list[Check]:
    """Seats and waitlist as they must be once every link has registered once."""
    with database.transaction(write=False) as session:
        event = session.scalars(select(Event)).one()
        by_status = dict(
            session.execute(
                select(Registration.status, func.count()).group_by(Registration.status)
            ).all()
        )
        waiting = session.execute(
            select(Registration.waitlist_position, Registration.waitlisted_at)
            .where(Registration.status == RegistrationStatus.WAITLISTED)
            .order_by(Registration.waitlist_position)
        ).all()
        last_confirmed = session.scalar(
            select(func.max(Registration.confirmed_at)).where(
                Registration.status == RegistrationStatus.CONFIRMED
            )
        )
    waitlisted = links - seats
    positions = [row.waitlist_position for row in waiting]
    times = [row.waitlisted_at for row in waiting]
    return [
        Check(f"{seats} confirmed", by_status.get(RegistrationStatus.CONFIRMED, 0) == seats),
        Check(
            f"{waitlisted} waitlisted",
            by_status.get(RegistrationStatus.WAITLISTED, 0) == waitlisted,
        ),
        Check("no other status", sum(by_status.values()) == links),
        Check(f"positions 1..{waitlisted}", positions == list(range(1, waitlisted + 1))),
        Check("waitlist in decision order", times == sorted(times)),
        Check(
            "seats before waitlist",
            not times or (last_confirmed is not None and last_confirmed <= times[0]),
        ),
        Check(f"seats_held == {seats}", event.seats_held == seats),
        Check(f"waitlist_count == {waitlisted}", event.waitlist_count == waitlisted),
    ]


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_command(bind: str, workers: int, threads: int) -> list[str]:
    """The application's own gunicorn command line, its access log sent nowhere (last one wins)."""
    return [*gunicorn_args(bind, workers, threads), "--access-logfile", "/dev/null"]


def wait_until_healthy(base_url: str, server: subprocess.Popen[bytes]) -> None:
    """Return once GET /healthz answers; fail if gunicorn exits or takes too long."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT_S:.0f} s")


def wait_until_booted(master: int, workers: int) -> None:
    """Return once every worker runs and none is still importing the application (CPU idle)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    before = server_cpu_seconds(master)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = server_cpu_seconds(master)
        if len(worker_pids(master)) == workers and now - before < 0.02:
            return
        before = now
    raise RuntimeError(f"gunicorn workers still busy after {STARTUP_TIMEOUT_S:.0f} s")


@contextmanager
def gunicorn(
    env: dict[str, str],
    port: int,
    workers: int,
    threads: int,
    log: Path,
    command: list[str] | None = None,
    cwd: str | Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A running gunicorn serving the application (or `command`, run in `cwd`), all workers
    booted; stopped after."""
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            command or server_command(f"127.0.0.1:{port}", workers, threads),
            env={**os.environ, **env},
            cwd=cwd or env["CONVIER_VAR_DIR"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", server)
            wait_until_booted(server.pid, workers)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


# --- where the CPU goes (Linux /proc) ------------------------------------------------------


def process_cpu(pid: int) -> float:
    """User plus system CPU time of one process so far; 0 for a process that has gone."""
    return cpu_seconds(pid) or 0.0


def worker_pids(master: int) -> list[int]:
    """The worker processes of a gunicorn master."""
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def server_cpu_seconds(master: int) -> float:
    """CPU time of a gunicorn master and its workers so far."""
    return sum(process_cpu(pid) for pid in [master, *worker_pids(master)])


def postgres_cpu_seconds(database: Database) -> float:
    """CPU time of the PostgreSQL backends serving the database, but this one (a local server)."""
    if database.is_sqlite:
        return 0.0  # SQLite works inside the server's processes
    with database.engine.connect() as connection:
        backends = connection.scalars(
            text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        return sum(process_cpu(pid) for pid in backends)


@dataclass(frozen=True)
class CpuTimes:
    """CPU seconds used by the server, its PostgreSQL backends, the clients and the machine."""

    server: float
    database: float
    clients: float
    machine_busy: float
    machine_total: float

    @classmethod
    def now(cls, master: int, database: Database) -> CpuTimes:
        """The times used so far."""
        ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = ticks[3] + ticks[4]  # idle and iowait, all cores
        return cls(
            server=server_cpu_seconds(master),
            database=postgres_cpu_seconds(database),
            clients=time.process_time(),
            machine_busy=(sum(ticks) - idle) / CLOCK_TICKS,
            machine_total=sum(ticks) / CLOCK_TICKS,
        )

    def __sub__(self, earlier: CpuTimes) -> CpuTimes:
        return CpuTimes(
            *(now - then for now, then in zip(astuple(self), astuple(earlier), strict=True))
        )

    @property
    def others(self) -> float:
        """CPU seconds used by the rest of the machine: other people's processes."""
        return max(self.machine_busy - self.server - self.database - self.clients, 0.0)


# --- the clients ---------------------------------------------------------------------------


@dataclass
class Load:
    """What the clients saw: latencies in seconds, failed requests, and the wall time."""

    clicks: list[float] = field(default_factory=list)
    posts: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0


async def click(client: aiohttp.ClientSession, base_url: str, token: str, load: Load) -> None:
    """One person's click: the page, the register button, and the page the browser is sent back
    to (the 303's target); records latencies or the error."""
    started = time.perf_counter()
    async with client.get(f"{base_url}/r/{token}") as page:
        body = await page.text()
    match = CSRF_FIELD.search(body)
    if page.status != 200 or match is None:
        load.errors.append(f"GET {page.status}{'' if match else ' without a CSRF token'}")
        return
    posted = time.perf_counter()
    async with client.post(
        f"{base_url}/r/{token}/register", data={"csrf_token": match.group(1)}, allow_redirects=False
    ) as answer:
        await answer.read()
    if answer.status != 303:
        load.errors.append(f"POST {answer.status}")
        return
    answered = time.perf_counter()
    async with client.get(f"{base_url}{answer.headers['Location']}") as reloaded:
        await reloaded.read()
    if reloaded.status != 200:
        load.errors.append(f"GET after POST {reloaded.status}")
        return
    load.clicks.append(time.perf_counter() - started)
    load.posts.append(answered - posted)


async def client_loop(base_url: str, links: asyncio.Queue[str], load: Load) -> None:
    """One client: its own connection and cookie jar, emptied before each link (a new person)."""
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1),
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # keep cookies of a bare IP address
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
    ) as client:
        while not links.empty():
            token = links.get_nowait()
            client.cookie_jar.clear()
            try:
                await click(client, base_url, token, load)
            except (aiohttp.ClientError, TimeoutError) as exc:
                load.errors.append(f"{type(exc).__name__}: {exc}")


async def rush(base_url: str, tokens: list[str], clients: int) -> Load:
    """Every link clicked once by `clients` concurrent clients; wall time from first to last."""
    links: asyncio.Queue[str] = asyncio.Queue()
    for token in tokens:
        links.put_nowait(token)
    load = Load()
    started = time.perf_counter()
    await asyncio.gather(*(client_loop(base_url, links, load) for _ in range(clients)))
    load.wall = time.perf_counter() - started
    return load


# --- one run and the report ----------------------------------------------------------------


@dataclass
class RunResult:
    """The measures of one run: latencies in seconds, CPU in seconds per registration."""

    rate: float
    click_p50: float
    click_p99: float
    post_p50: float
    post_p99: float
    errors: int
    failed_checks: list[str]
    server_cpu: float
    database_cpu: float
    client_cpu: float
    machine_busy: float
    other_cores: float


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile `p` (0-100) of `values`."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)] if ordered else math.nan


def measure(load: Load, cpu: CpuTimes, links: int, checks: list[Check]) -> RunResult:
    """The figures of one run from what the clients saw, the CPU used and the checks."""
    return RunResult(
        rate=links / load.wall,
        click_p50=percentile(load.clicks, 50),
        click_p99=percentile(load.clicks, 99),
        post_p50=percentile(load.posts, 50),
        post_p99=percentile(load.posts, 99),
        errors=len(load.errors),
        failed_checks=[check.name for check in checks if not check.ok],
        server_cpu=cpu.server / links,
        database_cpu=cpu.database / links,
        client_cpu=cpu.clients / links,
        machine_busy=cpu.machine_busy / cpu.machine_total,
        other_cores=cpu.others / load.wall,
    )


def flush_redis(url: str) -> None:
    """Empty the Redis database of the run: no task or rate count left by an earlier one."""
    import redis

    redis.Redis.from_url(url).flushdb()


def database_url(args: argparse.Namespace, workdir: Path) -> str:
    """The run's database: `--postgres-url`, emptied, or a new SQLite file in `workdir`."""
    if args.database == "postgres":
        reset_postgres(args.postgres_url)
        return str(args.postgres_url)
    return f"sqlite:///{workdir / 'rush.sqlite'}"


def one_run(args: argparse.Namespace, workdir: Path) -> RunResult:
    """Fresh database, fresh server, one rush, then the checks."""
    url = database_url(args, workdir)
    upgrade(url)
    port = free_port()
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "CONVIER_VAR_DIR": str(workdir),
        "BASE_URL": f"http://127.0.0.1:{port}",
        # Every simulated invitee clicks from 127.0.0.1: the per-address limit would stop them.
        "RATE_LIMIT_PER_ADDRESS": "1000000 per minute",
    }
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
        flush_redis(args.redis_url)
    database = Database(url)
    log = workdir / "gunicorn.log"
    try:
        tokens = populate(database, load_settings(env), args.links, args.seats)
        with gunicorn(env, port, args.workers, args.threads, log) as server:
            before = CpuTimes.now(server.pid, database)
            load = asyncio.run(rush(env["BASE_URL"], tokens, args.clients))
            cpu = CpuTimes.now(server.pid, database) - before
        checks = verify(database, args.links, args.seats)
    finally:
        database.dispose()
    if load.errors:
        for error in sorted(set(load.errors)):
            print(f"  error: {error} ×{load.errors.count(error)}", file=sys.stderr)
        tail = log.read_text().splitlines()[-20:]
        print("  end of the gunicorn log:", *tail, sep="\n    ", file=sys.stderr)
    return measure(load, cpu, args.links, checks)


def describe(result: RunResult) -> str:
    """One line about one run."""
    checks = ", ".join(result.failed_checks) or "none"
    return (
        f"{result.rate:4.0f} registrations/s; click p50/p99 {result.click_p50 * 1000:.0f}/"
        f"{result.click_p99 * 1000:.0f} ms; POST p50/p99 {result.post_p50 * 1000:.0f}/"
        f"{result.post_p99 * 1000:.0f} ms; {result.errors} errors; failed checks: {checks}; "
        f"CPU ms/registration: server {result.server_cpu * 1000:.1f}, PostgreSQL "
        f"{result.database_cpu * 1000:.1f}, clients {result.client_cpu * 1000:.1f}; machine "
        f"{result.machine_busy:.0%} busy, other processes {result.other_cores:.2f} cores"
    )


TABLE_HEADER = (
    "| database | workers×threads | registrations/s | click p50 ms | click p99 ms | POST p50 ms "
    "| POST p99 ms | errors | checks | CPU ms/reg: server / PostgreSQL / clients "
    "| machine busy | other processes, cores |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def table_row(args: argparse.Namespace, results: list[RunResult]) -> str:
    """A Markdown table row under TABLE_HEADER: the median of each measure over the runs."""

    def median(name: str, scale: float = 1000, digits: int = 0) -> str:
        return f"{statistics.median(getattr(r, name) for r in results) * scale:.{digits}f}"

    failed = sum(bool(r.failed_checks) for r in results)
    cells = [
        args.database,
        f"{args.workers}×{args.threads}",
        median("rate", scale=1),
        *(median(name) for name in ("click_p50", "click_p99", "post_p50", "post_p99")),
        str(sum(r.errors for r in results)),
        f"{failed}/{len(results)} FAIL" if failed else f"{len(results)}/{len(results)} pass",
        " / ".join(median(name, digits=1) for name in ("server_cpu", "database_cpu", "client_cpu")),
        f"{median('machine_busy', scale=100)} %",
        median("other_cores", scale=1, digits=2),
    ]
    return "| " + " | ".join(cells) + " |"


def configuration(args: argparse.Namespace) -> str:
    """What the run deploys: the embedded default, production, or another mix."""
    if args.database == "sqlite" and not args.redis_url:
        return "embedded (SQLite + SQLite broker)"
    if args.database == "postgres" and args.redis_url:
        return "production (PostgreSQL + Redis)"
    return f"{args.database} + {'Redis' if args.redis_url else 'SQLite broker'}"


PAIR_HEADER = (
    "| pair | floor clicks/s | app registrations/s | rate ratio | floor click p99 ms "
    "| app click p99 ms | p99 ratio | app CPU ms/reg: server / PostgreSQL / clients "
    "| other processes, cores (floor, app) |\n|---|---|---|---|---|---|---|---|---|"
)


def pair_row(label: str, floor: RunResult, app: RunResult) -> str:
    """A Markdown row under PAIR_HEADER for one floor run and the app run beside it."""
    cells = [
        label,
        f"{floor.rate:.0f}",
        f"{app.rate:.0f}",
        f"{app.rate / floor.rate:.2f}",
        f"{floor.click_p99 * 1000:.0f}",
        f"{app.click_p99 * 1000:.0f}",
        f"{app.click_p99 / floor.click_p99:.2f}",
        f"{app.server_cpu * 1000:.1f} / {app.database_cpu * 1000:.1f} / "
        f"{app.client_cpu * 1000:.1f}",
        f"{floor.other_cores:.2f}, {app.other_cores:.2f}",
    ]
    return "| " + " | ".join(cells) + " |"


def against_floor(args: argparse.Namespace) -> int:
    """`--runs` pairs of a floor run (db2, same database) and an app run, in alternating order
    (floor first, then app first…) so that a drift of the machine's speed touches both alike;
    the ratios of each pair and their medians."""
    from stack_floor import one_run as floor_run

    def floor() -> RunResult:
        with tempfile.TemporaryDirectory(prefix="convier-floor-") as workdir:
            url = None if args.database == "postgres" else f"sqlite:///{workdir}/floor.sqlite"
            result = floor_run(args, "db2", Path(workdir), url)
        print(f"  floor: {describe(result)}", flush=True)
        return result

    def app() -> RunResult:
        with tempfile.TemporaryDirectory(prefix="convier-rush-") as workdir:
            result = one_run(args, Path(workdir))
        print(f"  app:   {describe(result)}", flush=True)
        return result

    pairs = []
    for run in range(1, args.runs + 1):
        print(f"pair {run}/{args.runs}", flush=True)
        if run % 2:
            pairs.append((floor(), app()))
        else:
            later_app = app()
            pairs.append((floor(), later_app))
    print(
        f"\n{configuration(args)}, {args.workers}×{args.threads}, {args.links} links, "
        f"{args.seats} seats, {args.clients} clients"
    )
    print(PAIR_HEADER)
    for number, (f, a) in enumerate(pairs, 1):
        print(pair_row(str(number), f, a))
    rate = statistics.median(a.rate / f.rate for f, a in pairs)
    p99 = statistics.median(a.click_p99 / f.click_p99 for f, a in pairs)
    print(
        f"\nmedian rate ratio {rate:.2f} (target ≥ 0.80); median p99 ratio {p99:.2f} "
        "(target ≤ 1.50)"
    )
    runs = [r for pair in pairs for r in pair]
    return 0 if all(not r.errors and not r.failed_checks for r in runs) else 1


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark `--runs` times and print the table row; 1 when anything failed."""
    args = parse_args(argv)
    if args.against_floor:
        return against_floor(args)
    print(configuration(args), flush=True)
    results = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="convier-rush-") as workdir:
            result = one_run(args, Path(workdir))
        results.append(result)
        print(f"run {run}/{args.runs}: {describe(result)}", flush=True)
    print(TABLE_HEADER)
    print(table_row(args, results))
    return 0 if all(not r.errors and not r.failed_checks for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
