"""Event Webhook ingestion and statistics (issue 6): 100,000 signed SendGrid events posted in
batches of 1,000 to the web under gunicorn, read by a Celery worker on Redis + PostgreSQL; then
the statistics queries over the 100,000 invitations they concern.

Each run builds a fresh PostgreSQL database holding one event, 100,000 contacts on the four
network lists of `bench/campaign.py` (20 % of the people on two lists, 1 % suppressed) and their
invitation campaign, built in this process (`services.build`: invitations, list attribution,
outbox rows); the outbox rows to send are then marked sent by one UPDATE, three hours ago, and
the drain tasks the build queued are purged. The events concern those messages (our `message_id`
custom arg, as text): 30 % processed, 30 % delivered, 22 % opens (a third by a privacy proxy,
`sg_machine_open`), 15.5 % clicks (browsers, and link scanners by their user agent or by
clicking within seconds), 1.8 % bounces (hard or blocked) and 0.7 % unsubscribes, each with its
own `sg_event_id`. The batches are signed with an ECDSA P-256 key made for the run (its public
key, base64 DER, in SENDGRID_WEBHOOK_PUBLIC_KEY), timestamp = the moment of the POST.

gunicorn serves the application (2 workers × 2 threads, as `bench/registration_rush.py`) and one
Celery worker (2 processes) reads the batches; `--clients` concurrent clients POST every batch
once. Two figures, both from the first POST:

- ingested: events per second until the last 200;
- processed: events per second until all the events are rows of `provider_event` (its count
  polled every 100 ms).

Then 10 of the batches are posted again (signed anew): they must be kept and read, and store
nothing. Checks: every POST answered 200; exactly `--events` events stored; every batch read,
the first ones each storing its 1,000 events, the repeats none; the worker ran one task per
batch (its log: each task's result).

Statistics: once gunicorn and the worker have stopped, `VACUUM ANALYZE` (as autovacuum would
have done long before anyone looks at the figures), then `stats.totals`, `stats.by_list` and
`stats.by_campaign` in this process: one warm-up call each, then the median of 10 calls.

    .venv/bin/python bench/webhooks.py --runs 3
    .venv/bin/python bench/webhooks.py --events 10000 --runs 1

gunicorn, the worker, PostgreSQL, Redis and the clients share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from campaign import load_average, populate
from common import cpu_seconds, reset_postgres
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from registration_rush import free_port, gunicorn, postgres_cpu_seconds, server_cpu_seconds
from send import _started_line, family, worker_env
from sqlalchemy import func, select, text, update

from contacts.models import Contact
from service.campaigns import services
from service.config import Settings, load_settings
from service.db import Database
from service.mail.models import Message, MessageStatus
from service.migrate import upgrade
from service.registrations.models import Invitation
from service.tracking import stats
from service.tracking.funnel import Step
from service.tracking.models import ProviderEvent, WebhookBatch
from service.tracking.provider_events import SIGNATURE_HEADER, TIMESTAMP_HEADER

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_webhooks"
REDIS_URL = "redis://127.0.0.1:6379/11"
CONTACTS = 100_000
BATCH = 1_000
REPEATS = 10
POLL_S = 0.1
TIMEOUT_S = 600.0
STATS_CALLS = 10
SENT_AGO = timedelta(hours=3)
TASK_DONE = re.compile(r"Task convier\.tracking\.events\[[^\]]+\] succeeded in \S+: (\d+)")
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mimecast Safe Links/1.0",
    "python-requests/2.31.0",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="a multiple of 1,000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4, help="concurrent POSTs")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="its schema is rebuilt")
    parser.add_argument("--redis-url", default=REDIS_URL)
    args = parser.parse_args(argv)
    if args.events <= 0 or args.events % BATCH:
        parser.error(f"--events: a positive multiple of {BATCH:,}")
    return args


# --- the database ----------------------------------------------------------------------------


def prepare(database: Database, settings: Settings) -> tuple[int, list[tuple[int, str]]]:
    """The event, its contacts and its built invitation campaign, sent; (event id, (message id,
    address) of each email sent)."""
    campaign_id = populate(database, settings.tz, settings.secret_key, CONTACTS)
    with database.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
    services.build(database, settings, campaign_id)
    return mark_sent(database, campaign_id)


def mark_sent(database: Database, campaign_id: int) -> tuple[int, list[tuple[int, str]]]:
    """Every queued row of the campaign sent (one UPDATE, and one for the invitations' steps);
    (event id, (message id, address))."""
    sent_at = datetime.now(UTC) - SENT_AGO
    with database.transaction() as session:
        session.execute(
            update(Message)
            .where(Message.campaign_id == campaign_id, Message.status == MessageStatus.QUEUED)
            .values(status=MessageStatus.SENT, sent_at=sent_at, attempts=1)
            .execution_options(synchronize_session=False)
        )
        # What recording the sends does to the invitations' steps, for all of them at once.
        session.execute(
            update(Invitation)
            .where(
                Invitation.id.in_(
                    select(Message.invitation_id).where(
                        Message.campaign_id == campaign_id, Message.status == MessageStatus.SENT
                    )
                )
            )
            .values(funnel=Invitation.funnel.op("|")(int(Step.SENT)))
            .execution_options(synchronize_session=False)
        )
    with database.transaction(write=False) as session:
        event_id = session.scalar(select(Message.event_id).limit(1))
        sent = session.execute(
            select(Message.id, Contact.email)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.status == MessageStatus.SENT)
            .order_by(Message.id)
        ).all()
    return int(event_id or 0), [(message_id, address) for message_id, address in sent]


def count(database: Database, model: Any, *where: Any) -> int:
    """Rows of `model` matching `where`."""
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- the events ------------------------------------------------------------------------------


def kind_of(number: int) -> str:
    """The kind of event `number`: processed, delivered, open, click, bounce or unsubscribe."""
    share = number % 1000
    for kind, below in (("processed", 300), ("delivered", 600), ("open", 820), ("click", 975),
                        ("bounce", 993)):  # fmt: skip
        if share < below:
            return kind
    return "unsubscribe"


def event(number: int, message: tuple[int, str], sent: int) -> dict[str, Any]:
    """Event `number` as SendGrid posts it, about `message` sent at `sent` (Unix time)."""
    message_id, address = message
    kind = kind_of(number)
    fields: dict[str, Any] = {
        "email": address, "timestamp": sent + 60 + number % 7200, "event": kind,
        "smtp-id": f"<{message_id}@convier.example.org>", "category": ["invitation"],
        "sg_event_id": f"bench-{number:07d}-{kind}", "sg_message_id": f"sg.{message_id}.0",
        "message_id": str(message_id),
    }  # fmt: skip
    return {**fields, **details(kind, number, sent)}


def details(kind: str, number: int, sent: int) -> dict[str, Any]:
    """The fields of one kind of event."""
    agent = BROWSERS[number % len(BROWSERS)]
    if kind == "delivered":
        return {"response": "250 2.0.0 OK", "ip": "149.72.1.1"}
    if kind == "open":
        return {"useragent": agent, "ip": "203.0.113.7", "sg_machine_open": number % 3 == 0}
    if kind == "click":
        early = {"timestamp": sent + 4} if number % 20 == 0 else {}  # a scanner's instant click
        return {"url": "https://convier.example.org/r/abc", "useragent": agent, "ip": "203.0.113.8",
                **early}  # fmt: skip
    if kind == "bounce":
        kind_of_bounce = "bounce" if number % 2 else "blocked"
        return {"type": kind_of_bounce, "status": "5.1.1", "reason": "550 5.1.1 no such user"}
    return {}


def batches(messages: list[tuple[int, str]], events: int) -> list[bytes]:
    """The bodies of the batches of `events` events over `messages`."""
    sent = int((datetime.now(UTC) - SENT_AGO).timestamp())
    stream = [event(n, messages[n % len(messages)], sent) for n in range(events)]
    return [json.dumps(stream[i : i + BATCH]).encode() for i in range(0, events, BATCH)]


def new_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """A signing key and its public key as SendGrid shows it (base64 DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, base64.b64encode(der).decode()


def signed(key: ec.EllipticCurvePrivateKey, body: bytes) -> dict[str, str]:
    """The headers SendGrid sends with `body`, signed now."""
    timestamp = str(int(time.time()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
        TIMESTAMP_HEADER: timestamp,
        "Content-Type": "application/json",
    }


# --- posting ---------------------------------------------------------------------------------


@dataclass
class Posting:
    """What the clients saw: when the last 200 came, and the failures."""

    last_ok: float = 0.0
    errors: list[str] = field(default_factory=list)


async def client_loop(
    url: str, key: ec.EllipticCurvePrivateKey, bodies: asyncio.Queue[bytes], posting: Posting
) -> None:
    """One client on its own connection: POST bodies until none is left."""
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), timeout=aiohttp.ClientTimeout(total=120)
    ) as client:
        while not bodies.empty():
            body = bodies.get_nowait()
            try:
                async with client.post(url, data=body, headers=signed(key, body)) as answer:
                    await answer.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                posting.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if answer.status == 200:
                posting.last_ok = time.time()
            else:
                posting.errors.append(f"POST {answer.status}")


async def post_all(
    url: str, key: ec.EllipticCurvePrivateKey, bodies: list[bytes], clients: int
) -> Posting:
    """Every body posted once by `clients` concurrent clients."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    posting = Posting()
    await asyncio.gather(*(client_loop(url, key, queue, posting) for _ in range(clients)))
    return posting


class Watch(threading.Thread):
    """Polls a count every 100 ms until it reaches `target`; `reached_at` is when it did."""

    def __init__(self, counter: Callable[[], int], target: int):
        super().__init__(daemon=True)
        self.counter, self.target = counter, target
        self.reached_at: float | None = None

    def run(self) -> None:
        """Poll until the target or the timeout."""
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            if self.counter() >= self.target:
                self.reached_at = time.time()
                return
            time.sleep(POLL_S)  # polling the table, not synchronising


# --- the worker ------------------------------------------------------------------------------


@contextmanager
def worker(env: dict[str, str]) -> Iterator[tuple[int, list[int]]]:
    """One Celery worker (2 processes) on `env`; (its pid, each events task's result so far)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--loglevel=INFO",
         "--concurrency=2", "--pool=prefork", "--without-gossip", "--without-mingle",
         f"--hostname=bench-webhooks-{os.getpid()}@%h"],
        cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    results: list[int] = []
    try:
        _started_line(process, " ready.")
        threading.Thread(target=_read_results, args=(process, results), daemon=True).start()
        yield process.pid, results
    finally:
        process.terminate()
        process.wait(timeout=60)


def _read_results(process: subprocess.Popen[str], results: list[int]) -> None:
    for line in process.stdout or ():
        if found := TASK_DONE.search(line):
            results.append(int(found.group(1)))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Return once `condition` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(POLL_S)


# --- statistics ------------------------------------------------------------------------------


def time_stats(database: Database, event_id: int) -> dict[str, float]:
    """Median milliseconds of each statistics query, warm, over STATS_CALLS calls."""
    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    timings = {}
    for query in (stats.totals, stats.by_list, stats.by_campaign):
        _call(database, query, event_id)
        calls = [_call(database, query, event_id) for _ in range(STATS_CALLS)]
        timings[query.__name__] = statistics.median(calls) * 1000
    return timings


def _call(database: Database, query: Callable[[Any, int], Any], event_id: int) -> float:
    started = time.perf_counter()
    with database.transaction(write=False) as session:
        query(session, event_id)
    return time.perf_counter() - started


def total_funnel(database: Database, event_id: int) -> str:
    """The event's funnel in one line."""
    with database.transaction(write=False) as session:
        row = stats.totals(session, event_id).row()
    return ", ".join(f"{k} {v}" for k, v in row.items() if k != "name")


# --- one run ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    """The measures of one run."""

    ingested: float
    processed: float
    seconds: tuple[float, float]
    cpu: tuple[float, float, float]
    stats_ms: dict[str, float]
    checks: dict[str, bool]
    funnel: str

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(self.checks.values())


@dataclass
class Ingest:
    """The first pass over every batch: timings, CPU, what the clients saw."""

    seconds: tuple[float, float]
    cpu: tuple[float, float, float]
    posting: Posting


def ingest(
    env: dict[str, str],
    database: Database,
    key: ec.EllipticCurvePrivateKey,
    bodies: list[bytes],
    clients: int,
) -> tuple[Ingest, Posting, list[int]]:
    """gunicorn and the worker; every batch posted once, then REPEATS of them again; (the first
    pass, the repeats' posting, each task's result)."""
    port = free_port()
    env = {**env, "BASE_URL": f"http://127.0.0.1:{port}"}
    url = f"{env['BASE_URL']}/webhooks/sendgrid/events"
    log = Path(env["CONVIER_VAR_DIR"]) / "gunicorn.log"
    with worker(env) as (worker_pid, results), gunicorn(env, port, 2, 2, log) as server:
        pids = (server.pid, worker_pid)
        first = first_pass(url, key, bodies, clients, database, pids)
        repeat = asyncio.run(post_all(url, key, bodies[:REPEATS], clients))
        kept = len(bodies) + len(bodies[:REPEATS])
        read = WebhookBatch.processed_at.is_not(None)
        wait_for(lambda: count(database, WebhookBatch, read) >= kept, "reading the repeats")
        wait_for(lambda: len(results) >= kept, "the worker's log", 10)
    return first, repeat, list(results)


def first_pass(
    url: str,
    key: ec.EllipticCurvePrivateKey,
    bodies: list[bytes],
    clients: int,
    database: Database,
    pids: tuple[int, int],
) -> Ingest:
    """Every batch posted once; timed from the first POST to the last 200 and to the last row."""
    before = _cpu(*pids, database)
    watch = Watch(lambda: count(database, ProviderEvent), len(bodies) * BATCH)
    started = time.time()
    watch.start()
    posting = asyncio.run(post_all(url, key, bodies, clients))
    watch.join()
    after = _cpu(*pids, database)
    done = watch.reached_at if watch.reached_at is not None else float("nan")
    return Ingest(
        (posting.last_ok - started, done - started),
        (after[0] - before[0], after[1] - before[1], after[2] - before[2]),
        posting,
    )


def _cpu(server: int, worker_pid: int, database: Database) -> tuple[float, float, float]:
    return (
        server_cpu_seconds(server),
        sum(cpu_seconds(p) or 0 for p in family(worker_pid)),
        postgres_cpu_seconds(database),
    )


def check(
    database: Database,
    events: int,
    batch_count: int,
    first: Ingest,
    repeat: Posting,
    results: list[int],
) -> dict[str, bool]:
    """Each verification of the run, by name."""
    with database.transaction(write=False) as session:
        kept = session.execute(
            select(WebhookBatch.events, WebhookBatch.processed_at).order_by(WebhookBatch.id)
        ).all()
    stored = [n for n, _ in kept[:batch_count]]
    repeats = min(REPEATS, batch_count)
    return {
        "every POST 200": not first.posting.errors and not repeat.errors,
        f"{events} events stored": count(database, ProviderEvent) == events,
        "every batch read": len(kept) == batch_count + repeats and all(at for _, at in kept),
        "each batch stored its own": stored == [BATCH] * batch_count,
        "repeats stored nothing": [n for n, _ in kept[batch_count:]] == [0] * repeats,
        "one task per batch": sorted(results) == sorted([*stored, *[0] * repeats]),
    }


def one_run(args: argparse.Namespace, workdir: Path) -> RunResult:
    """Fresh database, server and worker; every batch posted and read; the checks; the stats."""
    reset_postgres(args.postgres_url)
    upgrade(args.postgres_url)
    key, public_key = new_key()
    env = {**worker_env(args, workdir), "SENDGRID_WEBHOOK_PUBLIC_KEY": public_key}
    os.environ.update(env)  # the Celery app of this process sends the build's drains
    from tasks.celery_app import get_celery

    celery = get_celery()

    database = Database(args.postgres_url)
    try:
        event_id, messages = prepare(database, load_settings())
        celery.control.purge()  # the build's drain tasks: every row is sent already
        bodies = batches(messages, args.events)
        first, repeat, results = ingest(dict(os.environ), database, key, bodies, args.clients)
        checks = check(database, args.events, len(bodies), first, repeat, results)
        stats_ms = time_stats(database, event_id)
        funnel = total_funnel(database, event_id)
    finally:
        database.dispose()
    for error in sorted(set(first.posting.errors + repeat.errors)):
        print(f"  error: {error}", file=sys.stderr)
    ingested, processed = (args.events / s for s in first.seconds)
    return RunResult(ingested, processed, first.seconds, first.cpu, stats_ms, checks, funnel)


def describe(result: RunResult) -> str:
    """One line for a run."""
    failed = [name for name, ok in result.checks.items() if not ok]
    ms = result.stats_ms
    return (
        f"ingested {result.ingested:,.0f} events/s ({result.seconds[0]:.1f} s), processed "
        f"{result.processed:,.0f} events/s ({result.seconds[1]:.1f} s); CPU s: web "
        f"{result.cpu[0]:.1f}, worker {result.cpu[1]:.1f}, PostgreSQL {result.cpu[2]:.1f}; "
        f"stats ms: totals {ms['totals']:.0f}, by_list {ms['by_list']:.0f}, by_campaign "
        f"{ms['by_campaign']:.0f}; checks "
        + ("pass" if not failed else "FAIL: " + ", ".join(failed))
    )


def main(argv: list[str] | None = None) -> int:
    """Run `--runs` times; print each run and the medians."""
    args = parse_args(argv)
    print(f"load average before: {load_average()}", flush=True)
    results = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="convier-webhooks-") as workdir:
            results.append(one_run(args, Path(workdir)))
        print(f"run {run}/{args.runs}: {describe(results[-1])}", flush=True)
    print(f"funnel (last run): {results[-1].funnel}")
    median = {
        name: statistics.median(r.stats_ms[name] for r in results) for name in results[0].stats_ms
    }
    print(
        f"median over {len(results)} runs of {args.events:,} events: ingested "
        f"{statistics.median(r.ingested for r in results):,.0f} events/s, processed "
        f"{statistics.median(r.processed for r in results):,.0f} events/s; stats ms: "
        + ", ".join(f"{name} {ms:.0f}" for name, ms in median.items())
    )
    print(f"load average after: {load_average()}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
