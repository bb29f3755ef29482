"""Sending throughput (issue 4): invitations queued in the outbox, sent by real Celery workers on
Redis + PostgreSQL, through the `sendgrid` library to the SendGrid stand-in, or through SMTP to an
aiosmtpd sink (`smtp`) or to Postfix's `smtp-sink` (`smtp-sink`, Debian package postfix: written
in C, so that the sink is not the bottleneck; it announces PIPELINING).

Each run builds a fresh PostgreSQL database holding one event, `--messages` invited contacts and
one queued invitation email each; starts the stand-in (or the sink) and one Celery worker with
`--concurrency` processes; then starts the drain tasks and times from that moment to the last
email the provider accepted (SendGrid: the last 202; SMTP: the sink's count). It then checks that
every outbox row is sent and that the provider got exactly one email per row.

    .venv/bin/python bench/send.py --backend sendgrid --messages 100000
    .venv/bin/python bench/send.py --backend smtp --messages 10000
    .venv/bin/python bench/send.py --backend smtp-sink --messages 10000

Reports messages per second, provider requests (SendGrid) or connections (SMTP), the peak memory
(VmHWM) of the worker's processes, and CPU seconds of the worker, the stand-in or sink, and the
PostgreSQL backends. The stand-in, the sink, PostgreSQL and Redis share the machine's cores with
the workers.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from common import cpu_seconds, database_parser, reset_postgres
from registration_rush import free_port, postgres_cpu_seconds
from sqlalchemy import func, insert, select

from contacts.models import Contact
from service.db import Database, utcnow
from service.events.schemas import EventIn
from service.events.services import create_event
from service.mail import outbox
from service.mail.models import Message, MessageStatus
from service.migrate import upgrade
from service.registrations.models import Invitation
from service.security import new_public_id

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_send"
REDIS_URL = "redis://127.0.0.1:6379/9"
CHUNK = 10_000
TIMEOUT_S = 900.0
SMTP_SINK = "/usr/sbin/smtp-sink"


def parse_args(argv: list[str] | None = None):
    """The benchmark's options."""
    parser = database_parser(__doc__.splitlines()[0], POSTGRES_URL)
    parser.set_defaults(database="postgres")
    parser.add_argument("--backend", choices=("sendgrid", "smtp", "smtp-sink"), default="sendgrid")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--redis-url", default=REDIS_URL)
    for action in parser._actions:  # PostgreSQL + Redis only: the production stack
        if action.dest == "database":
            action.required = False
    return parser.parse_args(argv)


def event_spec() -> EventIn:
    """The demo meeting's shape: a short programme, a venue, an organiser."""
    return EventIn.model_validate(
        {
            "slug": "bench-send",
            "title": "Rencontre nationale des PTCE",
            "date": date(date.today().year + 1, 7, 5).isoformat(),
            "starts": "14:30",
            "ends": "17:30",
            "venue": {"name": "Auditorium", "address": "17-21 place Étienne Pernet, 75015 Paris"},
            "capacity": 200,
            "organiser": {"name": "Le Labo de l'ESS", "email": "contact@example.org"},
            "programme": [
                {"starts": "14:30", "ends": "15:00", "title": "Introduction",
                 "speakers": [{"name": "Odile Kirchner", "role": "grand_temoin"}]},
                {"starts": "15:00", "ends": "17:00", "title": "Table ronde"},
            ],
        }
    )  # fmt: skip


def populate(database: Database, tz: object, count: int) -> None:
    """One event, `count` contacts each invited, and one queued invitation email each."""
    now = utcnow()
    with database.transaction() as session:
        event_id = create_event(session, event_spec(), tz).id
    for start in range(0, count, CHUNK):
        numbers = range(start, min(start + CHUNK, count))
        with database.transaction() as session:
            contact_ids = session.scalars(
                insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
                [
                    {"email": f"personne{i:06d}@example.org", "first_name": "Personne",
                     "last_name": str(i), "tags": [], "extra": {}, "created_at": now,
                     "updated_at": now}
                    for i in numbers
                ],
            ).all()  # fmt: skip
            invitation_ids = session.scalars(
                insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True),
                [
                    {"public_id": new_public_id(), "event_id": event_id, "contact_id": c,
                     "token_version": 1, "created_at": now}
                    for c in contact_ids
                ],
            ).all()  # fmt: skip
            outbox.queue(
                session,
                [
                    outbox.NewMessage(
                        key=f"invitation:{i}", template="invitation", event_id=event_id,
                        contact_id=c, invitation_id=i,
                    )
                    for c, i in zip(contact_ids, invitation_ids, strict=True)
                ],
            )  # fmt: skip


def _started_line(process: subprocess.Popen[str], marker: str) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if marker in line:
            return line.strip()
    raise RuntimeError(f"the process exited before printing {marker!r}")


@contextmanager
def provider(backend: str, workdir: Path) -> Iterator[tuple[dict[str, str], Path, int]]:
    """The stand-in or the sink as a process: (worker environment, count file or '', pid)."""
    if backend == "smtp-sink":
        with _postfix_sink(workdir / "sink.json") as (url, pid):
            yield {"MAIL_BACKEND": "smtp", "SMTP_URL": url}, workdir / "sink.json", pid
        return
    if backend == "sendgrid":
        args = [sys.executable, "-m", "tests.standins.sendgrid", "--port", "0"]
    else:
        args = [sys.executable, "-m", "tests.standins.smtp", "--port", str(free_port()),
                "--count-file", str(workdir / "sink.json")]  # fmt: skip
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = _started_line(process, "listening on").rsplit(" ", 1)[1]
        if backend == "sendgrid":
            env = {"MAIL_BACKEND": "sendgrid", "SENDGRID_API_KEY": "SG.standin-key",
                   "SENDGRID_API_HOST": url}  # fmt: skip
        else:
            env = {"MAIL_BACKEND": "smtp", "SMTP_URL": url}
        yield env, workdir / "sink.json", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def _postfix_sink(count_file: Path) -> Iterator[tuple[str, int]]:
    """Postfix's smtp-sink on a free port, its running counters (`sess=… quit=… mesg=…`, an
    update per message and per ended session, separated by carriage returns) copied to
    `count_file` as the aiosmtpd sink writes it: (SMTP URL, pid)."""
    port = free_port()
    process = subprocess.Popen(
        [SMTP_SINK, "-u", "nobody", "-c", f"127.0.0.1:{port}", "256"],
        stdout=subprocess.PIPE,
    )  # fmt: skip

    def copy_counters() -> None:
        pending = b""
        while chunk := os.read(process.stdout.fileno(), 65536):  # type: ignore[union-attr]
            *updates, pending = (pending + chunk).split(b"\r")
            if updates:
                fields = dict(f.split("=") for f in updates[-1].decode().split() if "=" in f)
                # smtp-sink counts a session when it ends: the workers' own stay open.
                counts = {"messages": int(fields["mesg"]), "connections": int(fields["sess"])}
                count_file.write_text(json.dumps(counts))

    reader = threading.Thread(target=copy_counters, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while True:  # it prints nothing when it is ready: wait until it accepts a connection
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield f"smtp://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=5)


def delivered(backend: str, env: dict[str, str], count_file: Path) -> tuple[int, int, float]:
    """(emails the provider accepted, requests or connections, when the last was accepted)."""
    if backend == "sendgrid":
        url = f"{env['SENDGRID_API_HOST']}/_standin/count"
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback
            counts = json.load(answer)
        return int(counts["deliveries"]), int(counts["requests"]), counts["last_accepted_at"]
    try:
        counts = json.loads(count_file.read_text())
    except (OSError, ValueError):
        return 0, 0, 0.0
    return int(counts["messages"]), int(counts["connections"]), time.time()


def family(pid: int) -> list[int]:
    """A process and all its descendants."""
    pids = [pid]
    for parent in pids:
        children = Path(f"/proc/{parent}/task/{parent}/children")
        if children.exists():
            pids.extend(int(child) for child in children.read_text().split())
    return pids


def peak_memory_mb(pid: int) -> float:
    """The peak resident memory (VmHWM) of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class RunResult:
    """The measures of one run."""

    rate: float
    seconds: float
    requests: int
    worker_peak_mb: float
    worker_cpu: float
    provider_cpu: float
    database_cpu: float
    ok: bool


def worker_env(args, workdir: Path) -> dict[str, str]:
    """The environment the workers and this process share (one SECRET_KEY, one database)."""
    return {
        "DATABASE_URL": args.postgres_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "CONVIER_VAR_DIR": str(workdir),
        "BASE_URL": "https://convier.example.org",
        "MAIL_FROM": "Le Labo de l'ESS <invitations@example.org>",
        "REPLY_DOMAIN": "reply.example.org",
    }


def one_run(args, workdir: Path) -> RunResult:
    """Fresh database, provider and worker; one send of every queued email; the checks."""
    reset_postgres(args.postgres_url)
    upgrade(args.postgres_url)
    env = worker_env(args, workdir)
    os.environ.update(env)  # the Celery app of this process sends the drain tasks
    from service.config import load_settings
    from service.mail.dispatch import drain_now
    from tasks.celery_app import get_celery

    celery = get_celery()

    database = Database(args.postgres_url)
    populate(database, load_settings().tz, args.messages)
    celery.control.purge()
    with provider(args.backend, workdir) as (mail_env, count_file, provider_pid):
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--loglevel=INFO",
             f"--concurrency={args.concurrency}", "--pool=prefork", "--without-gossip",
             "--without-mingle", f"--hostname=bench-{os.getpid()}@%h"],
            cwd=ROOT, env={**os.environ, **mail_env, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            _started_line(worker, " ready.")
            before = (sum(cpu_seconds(p) or 0 for p in family(worker.pid)),
                      cpu_seconds(provider_pid) or 0, postgres_cpu_seconds(database))  # fmt: skip
            started = time.time()
            drain_now(args.concurrency)
            deadline = time.monotonic() + TIMEOUT_S
            while (found := delivered(args.backend, mail_env, count_file))[0] < args.messages:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {found[0]} of {args.messages} sent in time")
                time.sleep(0.05)  # polling the provider's count, not synchronising
            seconds = found[2] - started
            pids = family(worker.pid)
            memory = max(peak_memory_mb(p) for p in pids)
            worker_cpu = sum(cpu_seconds(p) or 0 for p in pids) - before[0]
            provider_cpu = (cpu_seconds(provider_pid) or 0) - before[1]
            database_cpu = postgres_cpu_seconds(database) - before[2]
            ok = _all_sent(database, args.messages)
            final = delivered(args.backend, mail_env, count_file)
            ok = ok and final[0] == args.messages
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    database.dispose()
    return RunResult(args.messages / seconds, seconds, final[1], memory, worker_cpu,
                     provider_cpu, database_cpu, ok)  # fmt: skip


def _all_sent(database: Database, count: int) -> bool:
    """Whether every row reached `sent`, waiting a little for the last answers to be written."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with database.transaction(write=False) as session:
            sent = session.scalar(select(func.count()).where(Message.status == MessageStatus.SENT))
        if sent == count:
            return True
        time.sleep(0.1)
    return False


def main(argv: list[str] | None = None) -> int:
    """Run `--runs` times; print each run and the medians."""
    args = parse_args(argv)
    results = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="convier-send-") as workdir:
            result = one_run(args, Path(workdir))
        results.append(result)
        print(
            f"run {run}/{args.runs}: {result.rate:,.0f} messages/s ({result.seconds:.1f} s), "
            f"{result.requests} {'requests' if args.backend == 'sendgrid' else 'connections'}, "
            f"worker peak {result.worker_peak_mb:.0f} MB per process, CPU s: worker "
            f"{result.worker_cpu:.1f}, {args.backend} side {result.provider_cpu:.1f}, "
            f"PostgreSQL {result.database_cpu:.1f}; checks {'pass' if result.ok else 'FAIL'}",
            flush=True,
        )
    rate = statistics.median(r.rate for r in results)
    print(f"median: {rate:,.0f} messages/s over {len(results)} runs of {args.messages:,}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
