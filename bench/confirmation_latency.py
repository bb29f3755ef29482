"""A confirmation during a campaign (issue 13): while an invitation campaign of `--messages`
emails is sending, `--registrations` people register through the web, and each confirmation is
timed from the POST's answer to the moment the provider accepted it.

The production stack on one machine: PostgreSQL, Redis, the web under gunicorn (the app's own
command, 2 × 2), and the two workers the compose file runs: one on the `bulk` queue (campaign
drains, `--bulk-concurrency` processes) and one on the `interactive` queue (registration emails,
1 process); the SendGrid stand-in as the provider. The registrations start once the campaign has
sent `--start-after` of its emails and are spaced `--spacing` seconds apart; each one must be sent
while the campaign is still sending (checked). Latency: the confirmation's `sent_at` (written as
soon as the provider answered 202) minus the instant the registration's POST was answered.

    .venv/bin/python bench/confirmation_latency.py --runs 3
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime
from http.cookiejar import CookieJar
from pathlib import Path

from common import reset_postgres
from registration_rush import free_port, gunicorn
from send import ROOT, TIMEOUT_S, delivered, populate, provider, worker_env
from sqlalchemy import func, select

from contacts.models import Contact
from service.db import Database
from service.mail.kinds import Email
from service.mail.models import Message, MessageStatus
from service.migrate import upgrade
from service.registrations.invitations import invitation_token, invite

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_confirmation"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="the campaign's emails")
    parser.add_argument("--registrations", type=int, default=50)
    parser.add_argument("--spacing", type=float, default=0.1, help="seconds between two")
    parser.add_argument("--start-after", type=float, default=0.1, help="share of the campaign")
    parser.add_argument("--bulk-concurrency", type=int, default=2)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


def worker(queue: str, concurrency: int, env: dict[str, str]) -> subprocess.Popen[str]:
    """A Celery worker on one queue, as the compose file runs them; returns once it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--loglevel=WARNING",
         f"--concurrency={concurrency}", "--pool=prefork", f"--queues={queue}",
         "--without-gossip", "--without-mingle", f"--hostname={queue}-{os.getpid()}@%h"],
        cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if " ready." in line:
            return process
    raise RuntimeError(f"the {queue} worker exited before it was ready")


def register(base_url: str, token: str) -> float:
    """A person's click (the page, then the button); the instant the POST was answered."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(f"{base_url}/r/{token}", timeout=30) as page:
        csrf = CSRF_FIELD.search(page.read().decode())
    assert csrf is not None, "the page has no form"
    form = urllib.parse.urlencode({"csrf_token": csrf.group(1)}).encode()
    with opener.open(f"{base_url}/r/{token}/register", data=form, timeout=30) as answer:
        answer.read()  # the 303 followed: the person's page, confirmed
    return time.time()


def confirmations_sent(database: Database) -> dict[str, datetime]:
    """When each confirmation was sent, by address."""
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(Contact.email, Message.sent_at)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.template == Email.CONFIRMATION, Message.status == MessageStatus.SENT)
        ).all()
    return {row.email: row.sent_at for row in rows}


def one_run(args: argparse.Namespace, workdir: Path) -> tuple[list[float], bool]:
    """Fresh stack, a campaign sending, the registrations during it: their latencies, checks."""
    reset_postgres(args.postgres_url)
    upgrade(args.postgres_url)
    port = free_port()
    env = {**worker_env(args, workdir), "BASE_URL": f"http://127.0.0.1:{port}",
           "RATE_LIMIT_PER_ADDRESS": "1000000 per minute"}  # fmt: skip
    os.environ.update(env)
    import redis

    from service.config import load_settings
    from service.mail.dispatch import drain_now

    redis.Redis.from_url(args.redis_url).flushdb()
    settings = load_settings()
    database = Database(args.postgres_url)
    populate(database, settings.tz, args.messages)
    with database.transaction() as session:
        event_id = session.scalar(select(func.min(Message.event_id)))
        people = [
            invite(session, settings, event_id, f"inscrit{i:03d}@example.org", "Personne")
            for i in range(args.registrations)
        ]
        tokens = {p.contact.email: invitation_token(settings, p) for p in people}
    with (
        provider("sendgrid", workdir) as (mail_env, count_file, _pid),
        gunicorn(env, port, 2, 2, workdir / "gunicorn.log") as _web,
    ):
        workers = [
            worker("bulk", args.bulk_concurrency, mail_env),
            worker("interactive", 1, mail_env),
        ]
        try:
            drain_now(args.bulk_concurrency)
            while delivered("sendgrid", mail_env, count_file)[0] < args.start_after * args.messages:
                time.sleep(0.05)  # polling the provider's count, not synchronising
            answered = {}
            for address, token in tokens.items():
                answered[address] = register(env["BASE_URL"], token)
                time.sleep(args.spacing)  # the pace of people registering
            deadline = time.monotonic() + TIMEOUT_S
            while len(sent := confirmations_sent(database)) < len(tokens):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{len(sent)} of {len(tokens)} confirmations sent in time")
                time.sleep(0.05)  # polling the outbox, not synchronising
            campaign_done = delivered("sendgrid", mail_env, count_file)[0] - len(tokens)
        finally:
            for process in workers:
                process.terminate()
                process.wait(timeout=60)
    database.dispose()
    latencies = [sent[a].timestamp() - answered[a] for a in tokens]
    during = campaign_done < args.messages  # the campaign was still sending at the last one
    print(f"  campaign emails sent when the last confirmation was: {campaign_done:,}")
    return latencies, during


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile `p` (0-100)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def main(argv: list[str] | None = None) -> int:
    """`--runs` runs; each one's latencies, then the medians; 1 when a check failed."""
    args = parse_args(argv)
    p99s, ok = [], True
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="convier-confirm-") as workdir:
            latencies, during = one_run(args, Path(workdir))
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        p99s.append(p99)
        ok = ok and during
        print(
            f"run {run}/{args.runs}: {len(latencies)} confirmations, latency p50 {p50:.2f} s, "
            f"p99 {p99:.2f} s, max {max(latencies):.2f} s; sent during the campaign: "
            f"{'yes' if during else 'NO'}",
            flush=True,
        )
    print(f"median p99: {statistics.median(p99s):.2f} s (target ≤ 5 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
