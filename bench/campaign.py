"""Invitation campaign from launch to the last send (issue 5): 100,000 contacts over four network
lists (CNCRES, COORACE, RTES, MES) with 20 % of the people on two lists, 1 % suppressed, launched
on real Celery workers on Redis + PostgreSQL and sent through the `sendgrid` library to the
SendGrid stand-in.

Each run builds a fresh PostgreSQL database holding one event, `--contacts` contacts, their list
memberships and the suppression list; creates a draft invitation campaign over the four lists;
starts the stand-in and one Celery worker with `--concurrency` processes; then launches the
campaign (the launch's transaction commits and hands the build to a worker, which reads the
audience page by page, writes invitations, list attribution and outbox rows, and starts a drain
per page). The clock starts just before the launch. Two figures:

- audience + outbox: until the campaign's `built_at` is set (polled every 50 ms; the database's
  own `built_at - launched_at` is reported too);
- end to end: until the last email the stand-in accepted (its last 202).

Memberships: contact i is on list i mod 4; every fifth contact (i mod 5 = 0) is also on the next
list, (i + 1) mod 4. So 80 % of the people are on one list, 20 % on two, each list holds 30 % of
the people, and there are 1.2 memberships per person. Suppressed: contacts i with i mod 200 in
{0, 1} (1 %; half of them on two lists), hashed with the workers' SECRET_KEY.

Checks: the stand-in accepted exactly one email per person not suppressed; that many outbox rows
are `sent`, one per contact; the suppressed rows are exactly the suppressed people; one invitation
per person and one `invitation_list` row per membership; `finish_done` marks the campaign done.

    .venv/bin/python bench/campaign.py --runs 3
    .venv/bin/python bench/campaign.py --runs 3 --build-only
    .venv/bin/python bench/campaign.py --contacts 5000 --runs 1

`--build-only` launches the campaign paused (in the launch's transaction): the build writes every
row held and no email leaves, so the build is timed without drains sharing the cores; the checks
are then that every row is queued and held, none sent. The tables are analysed (`VACUUM ANALYZE`)
before the launch, as autovacuum has done by the time a campaign is launched on imported lists.

Reports both figures, messages per second end to end, stand-in requests, the peak memory (VmHWM)
of the worker's processes, and CPU seconds of the worker, the stand-in and the PostgreSQL
backends, with the medians of `--runs`. The stand-in, PostgreSQL and Redis share the machine's
cores with the workers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from common import cpu_seconds, reset_postgres
from registration_rush import postgres_cpu_seconds
from send import (
    _started_line,
    delivered,
    event_spec,
    family,
    peak_memory_mb,
    provider,
    worker_env,
)
from sqlalchemy import distinct, func, insert, select, text
from sqlalchemy.orm import Session

from contacts.models import Contact, MailingList, Membership, Suppression, SuppressionReason
from contacts.suppression import email_hash
from service.campaigns import services
from service.campaigns.models import Campaign, CampaignKind, CampaignState, InvitationList
from service.db import Database, utcnow
from service.events.services import create_event
from service.mail.models import Message, MessageStatus
from service.migrate import upgrade
from service.registrations.models import Invitation

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_campaign"
REDIS_URL = "redis://127.0.0.1:6379/10"
LISTS = ("CNCRES", "COORACE", "RTES", "MES")
CHUNK = 10_000
POLL_S = 0.05
TIMEOUT_S = 900.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="its schema is rebuilt")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="launch the campaign paused: the audience and outbox are written (held) with no "
        "email leaving, so that the build is measured without drains sharing the cores",
    )
    return parser.parse_args(argv)


def email(number: int) -> str:
    """The address of contact number `number`."""
    return f"personne{number:06d}@example.org"


def lists_of(number: int) -> list[int]:
    """The positions in LISTS of the lists contact `number` is on (one, or two for 20 %)."""
    first = number % len(LISTS)
    if number % 5 == 0:
        return [first, (first + 1) % len(LISTS)]
    return [first]


def is_suppressed(number: int) -> bool:
    """Whether contact `number` is on the suppression list (1 %)."""
    return number % 200 in (0, 1)


@dataclass(frozen=True)
class Audience:
    """What the populated database should give: people, memberships, suppressed, to send."""

    people: int
    memberships: int
    suppressed: frozenset[str]

    @property
    def expected(self) -> int:
        """Emails the campaign must send."""
        return self.people - len(self.suppressed)


def audience(count: int) -> Audience:
    """The expected shape of `count` contacts."""
    return Audience(
        people=count,
        memberships=sum(len(lists_of(i)) for i in range(count)),
        suppressed=frozenset(email(i) for i in range(count) if is_suppressed(i)),
    )


def populate(database: Database, tz: object, secret_key: str, count: int) -> int:
    """One event, the four lists, `count` contacts with their memberships, the suppression
    list and a draft invitation campaign over the four lists; returns the campaign's id."""
    with database.transaction() as session:
        event_id = create_event(session, event_spec(), tz).id
        list_ids = _create_lists(session)
    for start in range(0, count, CHUNK):
        with database.transaction() as session:
            _insert_contacts(session, list_ids, range(start, min(start + CHUNK, count)))
    _insert_suppressions(database, secret_key, count)
    # Lists are imported days before a campaign: autovacuum has analysed them by then.
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    with database.transaction() as session:
        spec = services.CampaignSpec(event_id, CampaignKind.INVITATION, lists=list(LISTS))
        return services.create(session, spec).id


def _create_lists(session: Session) -> list[int]:
    now = utcnow()
    return list(
        session.scalars(
            insert(MailingList).returning(MailingList.id, sort_by_parameter_order=True),
            [{"name": name, "description": "", "network": name, "created_at": now}
             for name in LISTS],
        )
    )  # fmt: skip


def _insert_contacts(session: Session, list_ids: list[int], numbers: range) -> None:
    now = utcnow()
    contact_ids = session.scalars(
        insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
        [
            {"email": email(i), "first_name": "Personne", "last_name": str(i), "language": "fr",
             "tags": [], "extra": {}, "created_at": now, "updated_at": now}
            for i in numbers
        ],
    ).all()  # fmt: skip
    session.execute(
        insert(Membership),
        [
            {"list_id": list_ids[position], "contact_id": contact_id, "source": "bench.csv",
             "added_at": now}
            for i, contact_id in zip(numbers, contact_ids, strict=True)
            for position in lists_of(i)
        ],
    )  # fmt: skip


def _insert_suppressions(database: Database, secret_key: str, count: int) -> None:
    now = utcnow()
    rows = [
        {"email_hash": email_hash(secret_key, email(i)),
         "reason": SuppressionReason.UNSUBSCRIBED, "created_at": now}
        for i in range(count)
        if is_suppressed(i)
    ]  # fmt: skip
    with database.transaction() as session:
        session.execute(insert(Suppression), rows)


def start_worker(concurrency: int, env: dict[str, str]) -> subprocess.Popen[str]:
    """One Celery worker with `concurrency` prefork processes, its output read in a thread."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--loglevel=INFO",
         f"--concurrency={concurrency}", "--pool=prefork", "--without-gossip",
         "--without-mingle", f"--hostname=bench-campaign-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    _started_line(worker, " ready.")
    # Keep reading, so that a full pipe never blocks the worker's logging.
    threading.Thread(target=lambda: [None for _ in worker.stdout or ()], daemon=True).start()
    return worker


@dataclass
class Timings:
    """Wall-clock seconds from the launch, and the database's own build time."""

    built: float
    end_to_end: float
    built_in_db: float
    requests: int


def launch_and_wait(
    database: Database, campaign_id: int, mail_env: dict[str, str], expected: int, paused: bool
) -> Timings:
    """Launch the campaign (`paused` in the same transaction, so that its build writes every row
    held), then poll its `built_at` and, unless paused, the stand-in's count."""
    from service.mail.dispatch import build_after_commit

    started = time.time()
    with database.transaction() as session:
        services.launch(session, campaign_id, build_after_commit)
        if paused:
            services.pause(session, campaign_id)
    built = _wait_built(database, campaign_id, started)
    if paused:
        return Timings(built, built, _built_in_db(database, campaign_id), 0)
    deadline = time.monotonic() + TIMEOUT_S
    while (found := delivered("sendgrid", mail_env, Path()))[0] < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {found[0]} of {expected} sent in time")
        time.sleep(POLL_S)  # polling the stand-in's count, not synchronising
    return Timings(built, found[2] - started, _built_in_db(database, campaign_id), found[1])


def _built_in_db(database: Database, campaign_id: int) -> float:
    """Seconds from the launch to `built_at`, by the database's own clock."""
    with database.transaction(write=False) as session:
        launched_at, built_at = session.execute(
            select(Campaign.launched_at, Campaign.built_at).where(Campaign.id == campaign_id)
        ).one()
    return _seconds(launched_at, built_at)


def _wait_built(database: Database, campaign_id: int, started: float) -> float:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        with database.transaction(write=False) as session:
            built_at = session.scalar(select(Campaign.built_at).where(Campaign.id == campaign_id))
        if built_at is not None:
            return time.time() - started
        time.sleep(POLL_S)  # polling the campaign row, not synchronising
    raise RuntimeError(f"campaign {campaign_id} not built in {TIMEOUT_S:.0f} s")


def _seconds(start: datetime | None, end: datetime | None) -> float:
    return (end - start).total_seconds() if start and end else float("nan")


def settled_progress(database: Database, campaign_id: int) -> dict[str, int]:
    """The campaign's rows by status once none is queued or sending (60 s at most)."""
    deadline = time.monotonic() + 60
    while True:
        with database.transaction(write=False) as session:
            counts = services.progress(session, campaign_id)
        if counts["queued"] + counts["sending"] == 0 or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def check(
    database: Database, campaign_id: int, shape: Audience, deliveries: int, paused: bool
) -> dict[str, bool]:
    """Each verification of the run, by name: every email sent, or, `paused`, every row written
    and held with none sent."""
    counts = _held(database, campaign_id) if paused else settled_progress(database, campaign_id)
    with database.transaction() as session:
        done = services.finish_done(session)
    with database.transaction(write=False) as session:
        campaign = services.get(session, campaign_id)
        status = MessageStatus.QUEUED if paused else MessageStatus.SENT
        people = session.scalar(
            select(func.count(distinct(Message.contact_id))).where(
                Message.campaign_id == campaign_id, Message.status == status
            )
        )
        suppressed = set(
            session.scalars(
                select(Contact.email)
                .join(Message, Message.contact_id == Contact.id)
                .where(Message.campaign_id == campaign_id)
                .where(Message.status == MessageStatus.SUPPRESSED)
            )
        )
        invitations = session.scalar(select(func.count()).select_from(Invitation))
        attributions = session.scalar(select(func.count()).select_from(InvitationList))
    return {
        "stand-in deliveries": deliveries == (0 if paused else shape.expected),
        "none released": counts.get("released", 0) == 0,
        "rows held" if paused else "rows sent": counts[status.value] == shape.expected == people,
        "suppressed rows": suppressed == shape.suppressed,
        "no other rows": sum(counts.values()) == shape.people,
        "audience count": campaign.audience_count == shape.people,
        "invitations": invitations == shape.people,
        "invitation_list": attributions == shape.memberships,
        "done": done == ([] if paused else [campaign_id])
        and campaign.state is (CampaignState.PAUSED if paused else CampaignState.DONE),
    }


def _held(database: Database, campaign_id: int) -> dict[str, int]:
    """The rows of a paused campaign by status, the queued ones that are not held apart."""
    with database.transaction(write=False) as session:
        counts = services.progress(session, campaign_id)
        released = session.scalar(
            select(func.count()).where(
                Message.campaign_id == campaign_id,
                Message.status == MessageStatus.QUEUED,
                Message.held.is_(False),
            )
        )
    return {**counts, "queued": counts["queued"] - (released or 0), "released": released or 0}


@dataclass
class RunResult:
    """The measures of one run."""

    timings: Timings
    expected: int
    worker_peak_mb: float
    worker_cpu: float
    standin_cpu: float
    database_cpu: float
    checks: dict[str, bool]

    @property
    def rate(self) -> float:
        """Emails per second, launch to last send."""
        return self.expected / self.timings.end_to_end

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(self.checks.values())


def one_run(args: argparse.Namespace, workdir: Path) -> RunResult:
    """Fresh database, stand-in and worker; one campaign launched and sent; the checks."""
    reset_postgres(args.postgres_url)
    upgrade(args.postgres_url)
    env = worker_env(args, workdir)
    os.environ.update(env)  # the Celery app of this process sends the build task
    from service.config import load_settings
    from tasks.celery_app import get_celery

    celery = get_celery()

    config = load_settings()
    database = Database(args.postgres_url)
    shape = audience(args.contacts)
    campaign_id = populate(database, config.tz, config.secret_key, args.contacts)
    celery.control.purge()
    with provider("sendgrid", workdir) as (mail_env, _, standin_pid):
        worker = start_worker(args.concurrency, {**os.environ, **mail_env, "PYTHONPATH": str(ROOT)})
        try:
            before = _cpu(worker.pid, standin_pid, database)
            timings = launch_and_wait(
                database, campaign_id, mail_env, shape.expected, args.build_only
            )
            after = _cpu(worker.pid, standin_pid, database)
            memory = max(peak_memory_mb(p) for p in family(worker.pid))
            deliveries = delivered("sendgrid", mail_env, Path())[0]
            checks = check(database, campaign_id, shape, deliveries, args.build_only)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    database.dispose()
    worker_cpu, standin_cpu, database_cpu = (a - b for a, b in zip(after, before, strict=True))
    return RunResult(timings, shape.expected, memory, worker_cpu, standin_cpu, database_cpu, checks)


def _cpu(worker: int, standin: int, database: Database) -> tuple[float, float, float]:
    return (
        sum(cpu_seconds(p) or 0 for p in family(worker)),
        cpu_seconds(standin) or 0,
        postgres_cpu_seconds(database),
    )


def describe(result: RunResult) -> str:
    """One line for a run."""
    failed = [name for name, ok in result.checks.items() if not ok]
    t = result.timings
    return (
        f"audience+outbox {t.built:.1f} s (database {t.built_in_db:.1f} s), end to end "
        f"{t.end_to_end:.1f} s = {result.rate:,.0f} messages/s, {t.requests} requests, "
        f"worker peak {result.worker_peak_mb:.0f} MB per process, CPU s: worker "
        f"{result.worker_cpu:.1f}, stand-in {result.standin_cpu:.1f}, PostgreSQL "
        f"{result.database_cpu:.1f}; checks "
        + ("pass" if not failed else "FAIL: " + ", ".join(failed))
    )


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    """Run `--runs` times; print each run and the medians."""
    args = parse_args(argv)
    print(f"load average before: {load_average()}", flush=True)
    results = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="convier-campaign-") as workdir:
            results.append(one_run(args, Path(workdir)))
        print(f"run {run}/{args.runs}: {describe(results[-1])}", flush=True)
    print(
        f"median over {len(results)} runs of {args.contacts:,} contacts: audience+outbox "
        f"{statistics.median(r.timings.built for r in results):.1f} s, end to end "
        f"{statistics.median(r.timings.end_to_end for r in results):.1f} s, "
        f"{statistics.median(r.rate for r in results):,.0f} messages/s"
    )
    print(f"load average after: {load_average()}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
