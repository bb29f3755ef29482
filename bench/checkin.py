"""The door (issue 17): check-ins from several devices at once, and the ticket list a device keeps,
on the production stack of one machine: PostgreSQL, Redis (db 12), the web under gunicorn (2 × 2).

Each run rebuilds the database (`bench_checkin`): one event with `--registrations` confirmed
registrations (registered through the registration service), and one door account per device,
each signed in with a session of its own (a `requests.Session`, as the door page's browser holds).

1. Check-in: `--devices` threads, one per device, scan `--tickets` distinct tickets between them
   (each its share, in turn, as fast as answers come) through
   `POST /manage/events/<id>/checkin/scan` with the session's CSRF token, as the door page's
   script does. Each scan is timed twice: by the client, from the request to the end of the
   answer on the loopback; and by the server, as gunicorn's access log writes a request's
   duration (its `%(D)s`, microseconds, instead of the app's `%(M)s`, milliseconds). The app's
   own Prometheus histogram (`convier_http_request_duration_seconds`, read from `/metrics`)
   gives the mean too. Median and 90th percentile over all scans. Then the checks: every answer
   green (`welcome`) and naming the registration of its ticket, and exactly `--tickets`
   registrations attended in the database.
2. The ticket list: `GET /manage/events/<id>/checkin/tickets` asked `--samples` times by one
   device, each answer checked to hold every registration; the median.

    .venv/bin/python bench/checkin.py --runs 3

Targets (issue 17): a check-in's median under 50 ms (PostgreSQL, 4 devices, 250 tickets), the
ticket list of 2,000 registrations under 500 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import requests
from back_office import CSRF_FIELD, PASSWORD, percentile
from common import reset_postgres
from registration_rush import CpuTimes, free_port, gunicorn
from send import worker_env
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Engine

from contacts.models import Contact
from service.accounts.models import Role
from service.accounts.services import create_user, set_password
from service.config import Settings, load_settings
from service.db import Database
from service.events.schemas import EventIn
from service.events.services import create_event
from service.migrate import upgrade
from service.registrations import services as registrations
from service.registrations.models import Invitation, Registration, RegistrationStatus
from service.registrations.tickets import registration_ticket
from service.runner import gunicorn_args
from service.security import new_public_id

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_checkin"
REDIS_URL = "redis://127.0.0.1:6379/12"
METRICS_TOKEN = "bench-checkin-metrics"  # noqa: S105 - a scratch server's token
SCAN_TARGET_MS = 50
LIST_TARGET_MS = 500
BATCH = 500
FIRST_NAMES = ["Émilie", "Claire", "Jean", "Odile", "Karim", "Anne", "Léa", "Hugo", "Inès", "Marc"]
ACCESS = re.compile(r'"[A-Z]+ /manage/events/\d+/checkin/(scan|tickets) HTTP/[\d.]+" (\d+) (\d+)us')
SCAN_ROUTE = "/manage/events/<int:event_id>/checkin/scan"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=2000)
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--tickets", type=int, default=250, help="distinct tickets scanned")
    parser.add_argument("--samples", type=int, default=20, help="ticket list downloads timed")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="its schema is rebuilt")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="after the last run: N scans in this process, one at a time, statements timed",
    )
    return parser.parse_args(argv)


# --- the database ------------------------------------------------------------------------------


def event_spec(capacity: int) -> EventIn:
    """The meeting at the door: next year, room for everyone registered."""
    return EventIn.model_validate(
        {
            "slug": "bench-checkin",
            "title": "Rencontre nationale des PTCE",
            "date": date(date.today().year + 1, 7, 5).isoformat(),
            "starts": "14:30",
            "ends": "17:30",
            "venue": {"name": "Auditorium", "address": "17-21 place Étienne Pernet, 75015 Paris"},
            "capacity": capacity,
            "organiser": {"name": "Le Labo de l'ESS", "email": "contact@example.org"},
        }
    )


def seed(args: argparse.Namespace, database: Database, settings: Settings) -> int:
    """The event, its confirmed registrations and the door accounts: the event's id."""
    with database.transaction() as session:
        event_id = create_event(session, event_spec(args.registrations), settings.tz).id
        for device in range(args.devices):
            user = create_user(session, door_email(device), Role.DOOR, [event_id])
            set_password(session, user, PASSWORD)
    for start in range(0, args.registrations, BATCH):
        numbers = range(start, min(start + BATCH, args.registrations))
        with database.transaction() as session:
            contact_ids = session.scalars(
                insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
                [{"email": f"personne{i:05d}@example.org", "first_name": FIRST_NAMES[i % 10],
                  "last_name": f"Nom{i:05d}", "organisation": f"Réseau {i % 40}"}
                 for i in numbers],
            ).all()  # fmt: skip
            invitations = [
                Invitation(
                    event_id=event_id, contact_id=contact_id, public_id=new_public_id(),
                    token_version=1,
                )
                for contact_id in contact_ids
            ]  # fmt: skip
            session.add_all(invitations)
            session.flush()
            for invitation in invitations:
                registrations.register(session, invitation, {})
    # The registrations were made days before the door opens: autovacuum has analysed them by
    # then. Without statistics the check-in's UPDATE walks the event's confirmed rows through
    # ix_registration_event_status instead of taking the primary key (bench/RESULTS.md).
    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return event_id


def door_email(device: int) -> str:
    """The account of a device."""
    return f"porte{device + 1}@example.org"


def tickets(database: Database, settings: Settings, count: int) -> list[tuple[int, str]]:
    """`count` confirmed registrations chosen at random: (id, ticket code)."""
    with database.transaction(write=False) as session:
        confirmed = session.scalars(
            select(Registration).where(Registration.status == RegistrationStatus.CONFIRMED)
        ).all()
        chosen = random.Random(17).sample(list(confirmed), count)
        return [(r.id, registration_ticket(settings, r)) for r in chosen]


def attended(database: Database) -> int:
    """Registrations checked in."""
    with database.transaction(write=False) as session:
        status = Registration.status == RegistrationStatus.ATTENDED
        return session.scalar(select(func.count()).where(status)) or 0


# --- the devices -------------------------------------------------------------------------------


def signed_in(base_url: str, email: str) -> tuple[requests.Session, str]:
    """A device's browser session, signed in, and the session's CSRF token (read from the back
    office's home, which every page shares: the door page's script sends the same)."""
    browser = requests.Session()
    form = CSRF_FIELD.search(browser.get(f"{base_url}/manage/login").text)
    assert form is not None, "no sign-in form"
    answer = browser.post(
        f"{base_url}/manage/login",
        data={"csrf_token": form.group(1), "email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    token = CSRF_FIELD.search(browser.get(f"{base_url}/manage/").text)
    assert token is not None, "no CSRF token on /manage/"
    return browser, token.group(1)


@dataclass
class Device:
    """One device at the door: its session, its share of tickets, what it saw."""

    name: str
    browser: requests.Session
    csrf: str
    share: list[tuple[int, str]]
    times_ms: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def scan(self, url: str, code: str) -> tuple[float, dict[str, Any]]:
        """One scan: the client's milliseconds and the answer."""
        started = time.perf_counter()
        answer = self.browser.post(
            url, json={"code": code, "device": self.name}, headers={"X-CSRFToken": self.csrf}
        )
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == 200, (answer.status_code, answer.text[:300])
        return elapsed, answer.json()

    def run(self, url: str, start: threading.Barrier) -> None:
        """Scan the share as fast as the answers come, each answer checked."""
        self.scan(url, "PAS-UN-BILLET")  # warm: the connection, the code paths (refused)
        start.wait()
        for registration_id, code in self.share:
            elapsed, scan = self.scan(url, code)
            self.times_ms.append(elapsed)
            if scan["verdict"] != "welcome" or scan["registration_id"] != registration_id:
                self.wrong.append(f"{registration_id}: {scan}")


def access_times(log: Path, route: str) -> list[float]:
    """The milliseconds gunicorn's access log gives each answered request of the route."""
    return [
        int(match.group(3)) / 1000
        for match in map(ACCESS.search, log.read_text().splitlines())
        if match and match.group(1) == route and match.group(2) == "200"
    ]


def histogram_mean_ms(base_url: str, route: str) -> float | None:
    """The app's own mean answer time of a route, from its Prometheus histogram."""
    text = requests.get(
        f"{base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
    ).text
    values = {}
    labels = rf'\{{[^}}]*route="{re.escape(route)}"[^}}]*\}}'
    for kind in ("sum", "count"):
        found = re.search(rf"convier_http_request_duration_seconds_{kind}{labels} (\S+)", text)
        if found is None:
            return None
        values[kind] = float(found.group(1))
    return values["sum"] / values["count"] * 1000 if values["count"] else None


# --- where a scan's time goes -------------------------------------------------------------------


def profile(database: Database, settings: Settings, scans: int) -> None:
    """`scans` check-ins of confirmed people through the app in this process (Flask's test client,
    one device, nothing else asking): each statement's median time, the rest being Python; then
    the ticket list the same way, and `EXPLAIN ANALYZE` of the slowest statement of a scan."""
    from service import create_app

    app = create_app(settings)
    client = app.test_client()
    form = CSRF_FIELD.search(client.get("/manage/login").text)
    assert form is not None, "no sign-in form"
    data = {"csrf_token": form.group(1), "email": door_email(0), "password": PASSWORD}
    assert client.post("/manage/login", data=data).status_code == 302
    token = CSRF_FIELD.search(client.get("/manage/").text)
    assert token is not None, "no CSRF token on /manage/"
    with database.transaction(write=False) as session:
        event_id = session.scalar(select(Registration.event_id).limit(1))
    url = f"/manage/events/{event_id}/checkin"
    timed: list[tuple[float, str, Any]] = []

    def before(conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        ms = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        timed.append((ms, statement, parameters))

    def answered(
        method: str, path: str, **kwargs: Any
    ) -> tuple[float, list[tuple[float, str, Any]]]:
        timed.clear()
        started = time.perf_counter()
        answer = client.open(path, method=method, headers={"X-CSRFToken": token.group(1)}, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == 200, answer.text[:300]
        return elapsed, list(timed)

    codes = [code for _, code in tickets(database, settings, scans + 10)]
    for code in codes[:10]:  # warm
        client.post(
            f"{url}/scan",
            json={"code": code, "device": "profil"},
            headers={"X-CSRFToken": token.group(1)},
        )
    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        runs = [
            answered("POST", f"{url}/scan", json={"code": c, "device": "profil"})
            for c in codes[10:]
        ]
        client.get(f"{url}/tickets")
        lists = [answered("GET", f"{url}/tickets") for _ in range(5)]
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)
    for name, measured in (("scan", runs), ("ticket list", lists)):
        total = statistics.median(ms for ms, _ in measured)
        in_sql = statistics.median(sum(t for t, _, _ in statements) for _, statements in measured)
        print(f"\n{name}, in this process, one at a time: median {total:.1f} ms, of which SQL "
              f"{in_sql:.1f} ms in {len(measured[0][1])} statements (client side):")  # fmt: skip
        for i, (_, statement, _) in enumerate(measured[0][1]):
            ms = statistics.median(s[i][0] for _, s in measured if len(s) > i)
            print(f"  {ms:6.2f} ms  {' '.join(statement.split())[:120]}")
    _, statements = runs[-1]
    ms, statement, parameters = max(statements, key=lambda t: t[0])
    with database.engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN ANALYZE " + statement, parameters).scalars()
        print(f"\nEXPLAIN ANALYZE of the slowest ({ms:.1f} ms): {' '.join(statement.split())}")
        print("\n".join(f"  {line}" for line in plan))
    app.extensions["convier.db"].dispose()


# --- a run -------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """One run's figures (milliseconds) and checks."""

    figures: dict[str, list[float]]
    means: dict[str, float | None]
    checks: dict[str, bool]
    seconds: float
    cpu: CpuTimes  # during the scans
    load: str


def one_run(args: argparse.Namespace, workdir: Path, last: bool) -> RunResult:
    """A fresh database and server; the devices scan, then the ticket list is downloaded."""
    import redis

    reset_postgres(args.postgres_url)
    upgrade(args.postgres_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    env = {
        **worker_env(args, workdir),
        "BASE_URL": base,
        "RATE_LIMIT_SIGN_IN": "1000 per minute",
        "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    os.environ.update(env)  # this process's settings: the same secret key signs the tickets
    redis.Redis.from_url(args.redis_url).flushdb()
    settings = load_settings()
    database = Database(args.postgres_url)
    try:
        event_id = seed(args, database, settings)
        redis.Redis.from_url(args.redis_url).flushdb()  # the confirmations: no worker sends them
        chosen = tickets(database, settings, args.tickets)
        log = workdir / "gunicorn.log"
        # The app's access line, with the duration in microseconds rather than milliseconds.
        command = [*gunicorn_args(f"127.0.0.1:{port}", args.workers, args.threads),
                   "--access-logformat", '%(h)s "%(r)s" %(s)s %(D)sus']  # fmt: skip
        load = load_average()
        with gunicorn(env, port, args.workers, args.threads, log, command=command) as server:
            page = f"/manage/events/{event_id}/checkin"
            devices = []
            for number in range(args.devices):
                browser, csrf = signed_in(base, door_email(number))
                share = chosen[number :: args.devices]
                devices.append(Device(f"Porte {number + 1}", browser, csrf, share))
            url = f"{base}{page}/scan"
            start = threading.Barrier(len(devices) + 1)
            threads = [threading.Thread(target=d.run, args=(url, start)) for d in devices]
            for thread in threads:
                thread.start()
            start.wait()
            began, cpu_before = time.perf_counter(), CpuTimes.now(server.pid, database)
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - began
            cpu = CpuTimes.now(server.pid, database) - cpu_before
            scan_mean = histogram_mean_ms(base, SCAN_ROUTE)
            listing = []
            for _ in range(args.samples + 1):
                started = time.perf_counter()
                answer = devices[0].browser.get(f"{base}{page}/tickets")
                listing.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text[:300]
                listed = len(answer.json()["tickets"])
                assert listed == args.registrations, f"{listed} tickets listed"
        scanned = sum(len(d.times_ms) for d in devices)
        wrong = [line for d in devices for line in d.wrong]
        for line in wrong[:10]:
            print(f"  wrong answer: {line}", file=sys.stderr)
        inside = attended(database)
        server_scans = access_times(log, "scan")[args.devices :]  # without the warm-up scans
        server_lists = access_times(log, "tickets")[1:]  # without the first download (warm-up)
        if last and args.profile:
            profile(database, settings, args.profile)
    finally:
        database.dispose()
    figures = {
        "check-in, client": [t for d in devices for t in d.times_ms],
        "check-in, server (access log)": server_scans,
        "ticket list, client": listing[1:],
        "ticket list, server (access log)": server_lists,
    }
    checks = {
        f"{args.tickets} scans answered": scanned == args.tickets,
        "every answer green, for its ticket": not wrong,
        f"{args.tickets} attended": inside == args.tickets,
        "every scan in the access log": len(server_scans) == args.tickets,
    }
    means = {"check-in, server (metrics)": scan_mean}
    return RunResult(figures, means, checks, seconds, cpu, f"{load} → {load_average()}")


def describe(result: RunResult, tickets: int) -> str:
    """One line for a run."""
    parts = [
        f"{name} median {statistics.median(values):.1f} ms, p90 {percentile(values, 90):.1f}"
        for name, values in result.figures.items()
    ]
    parts += [f"{name} mean {mean:.1f} ms" for name, mean in result.means.items() if mean]
    failed = [name for name, ok in result.checks.items() if not ok]
    rate = tickets / result.seconds
    checks = "pass" if not failed else "FAIL: " + ", ".join(failed)
    cpu, wall = result.cpu, result.seconds
    machine = (
        f"load {result.load}; during the scans, cores busy: server {cpu.server / wall:.2f},"
        f" PostgreSQL {cpu.database / wall:.2f}, clients {cpu.clients / wall:.2f},"
        f" other processes {cpu.others / wall:.2f}"
    )
    return f"{rate:.0f} scans/s; " + "; ".join(parts) + f"; checks {checks}; {machine}"


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    """`--runs` runs, each one's figures, then the medians of the runs' medians and the targets."""
    args = parse_args(argv)
    results = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="convier-checkin-") as workdir:
            results.append(one_run(args, Path(workdir), run == args.runs))
        print(f"run {run}/{args.runs}: {describe(results[-1], args.tickets)}", flush=True)
    met = True
    for name in results[0].figures:
        medians = [statistics.median(r.figures[name]) for r in results]
        p90s = [percentile(r.figures[name], 90) for r in results]
        median = statistics.median(medians)
        target = SCAN_TARGET_MS if name.startswith("check-in") else LIST_TARGET_MS
        verdict = "met" if median < target else "NOT met"
        met = met and median < target
        runs = ", ".join(f"{m:.1f}" for m in medians)
        print(f"{name}: median of the runs {median:.1f} ms (runs: {runs}; p90 of the runs "
              f"{statistics.median(p90s):.1f}); target < {target} ms {verdict}")  # fmt: skip
    means = [mean for r in results if (mean := r.means["check-in, server (metrics)"]) is not None]
    if means:
        mean = statistics.median(means)
        print(f"check-in, server (metrics): median of the runs' means {mean:.1f} ms")
    return 0 if met and all(all(r.checks.values()) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
