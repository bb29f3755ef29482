"""The back office's own figures (issue 15), on the production stack of one machine: PostgreSQL,
Redis, the web under gunicorn (2 × 2), a bulk worker (2 processes) and an interactive one, the
SendGrid stand-in as the provider.

1. Upload to preview: a `--contacts`-row list file as French Excel writes it (bench/import.py's
   file: cp1252, `;`) sent through the upload form by a signed-in organiser; timed from the
   request to the end of the answer of the preview page it leads to (file read, columns and first
   rows shown), on a quiet stack.
2. While an invitation campaign to a list of `--contacts` contacts is sending (each page checked
   to be measured before the campaign is done): the lists page, the list's first page of members
   and the campaign page's progress fragment, each asked `--samples` times in turn; the median
   and the 90th percentile of the answer times.

    .venv/bin/python bench/back_office.py --runs 3
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from common import reset_postgres
from registration_rush import free_port, gunicorn
from send import delivered, provider, worker_env
from send import event_spec as send_event_spec
from sqlalchemy import select

from contacts.imports import import_contacts
from contacts.models import MailingList
from service.accounts.models import Role
from service.accounts.services import create_user, set_password
from service.campaigns import services as campaigns
from service.campaigns.models import CampaignKind
from service.config import load_settings
from service.db import Database
from service.events.services import create_event
from service.mail.dispatch import build_after_commit
from service.migrate import upgrade

sys.path.insert(0, str(Path(__file__).parent))
confirmation_latency = importlib.import_module("confirmation_latency")
list_files = importlib.import_module("import")  # bench/import.py: its seeded list file

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_back_office"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "une phrase de passe de banc d'essai"  # noqa: S105 - a scratch database's account
TARGET_MS = 100
UPLOAD_TARGET_S = 3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=30, help="answers timed per page and run")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--bulk-concurrency", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


def signed_in(base_url: str) -> requests.Session:
    """A browser-like session of the organiser, signed in."""
    browser = requests.Session()
    form = CSRF_FIELD.search(browser.get(f"{base_url}/manage/login").text)
    assert form is not None, "no sign-in form"
    answer = browser.post(
        f"{base_url}/manage/login",
        data={"csrf_token": form.group(1), "email": "orga@example.org", "password": PASSWORD},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    return browser


def timed_upload(browser: requests.Session, base_url: str, path: Path) -> float:
    """Seconds from the upload's request to the end of the preview page's answer."""
    form = CSRF_FIELD.search(browser.get(f"{base_url}/manage/lists/import").text)
    assert form is not None, "no upload form"
    started = time.perf_counter()
    with path.open("rb") as file:
        preview = browser.post(
            f"{base_url}/manage/lists/import",
            data={"csrf_token": form.group(1), "list": "BENCH-UPLOAD"},
            files={"file": (path.name, file, "text/csv")},
        )
    seconds = time.perf_counter() - started
    assert preview.status_code == 200, preview.text[:500]
    assert "Courriel" in preview.text, "the preview page does not show the file's columns"
    return seconds


def answer_ms(browser: requests.Session, url: str) -> float:
    """Milliseconds to the end of a page's answer (200 checked)."""
    started = time.perf_counter()
    answer = browser.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, (url, answer.status_code)
    return elapsed


def prepare(args: argparse.Namespace, settings, database: Database, path: Path) -> tuple[int, int]:
    """The list of `--contacts` contacts, the event, a draft invitation campaign to the list and
    the organiser's account: (list id, campaign id)."""
    import_contacts(database, settings, path, "BENCH")
    with database.transaction() as session:
        event_id = create_event(session, send_event_spec(), settings.tz).id
        spec = campaigns.CampaignSpec(event_id, CampaignKind.INVITATION, lists=["BENCH"])
        campaign_id = campaigns.create(session, spec).id
        set_password(session, create_user(session, "orga@example.org", Role.ORGANISER), PASSWORD)
        list_id = session.scalar(select(MailingList.id).where(MailingList.name == "BENCH"))
    return list_id, campaign_id


def one_run(args: argparse.Namespace, workdir: Path) -> dict[str, list[float]]:
    """A fresh stack: the upload timed, then the pages timed while the campaign sends."""
    reset_postgres(args.postgres_url)
    upgrade(args.postgres_url)
    port = free_port()
    env = {**worker_env(args, workdir), "BASE_URL": f"http://127.0.0.1:{port}",
           "RATE_LIMIT_SIGN_IN": "1000 per minute"}  # fmt: skip
    os.environ.update(env)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    settings = load_settings()
    database = Database(args.postgres_url)
    files = list_files.make_files(workdir, args.contacts, 0.0)
    list_id, campaign_id = prepare(args, settings, database, files.bench)
    base = env["BASE_URL"]
    results: dict[str, list[float]] = {}
    with (
        provider("sendgrid", workdir) as (mail_env, count_file, _pid),
        gunicorn(env, port, 2, 2, workdir / "gunicorn.log"),
    ):
        workers = [
            confirmation_latency.worker("bulk", args.bulk_concurrency, mail_env),
            confirmation_latency.worker("interactive", 1, mail_env),
        ]
        try:
            browser = signed_in(base)
            results["upload to preview (s)"] = [timed_upload(browser, base, files.bench)]
            with database.transaction() as session:
                campaigns.launch(session, campaign_id, build_after_commit)
            while delivered("sendgrid", mail_env, count_file)[0] < args.contacts // 20:
                time.sleep(0.05)  # polling the provider's count, not synchronising
            pages = {
                "lists page (ms)": f"{base}/manage/lists",
                "list's members (ms)": f"{base}/manage/lists/{list_id}",
                "campaign progress (ms)": f"{base}/manage/campaigns/{campaign_id}/progress",
            }
            for _ in range(args.samples):
                for name, url in pages.items():
                    results.setdefault(name, []).append(answer_ms(browser, url))
            sent = delivered("sendgrid", mail_env, count_file)[0]
            print(f"  campaign emails sent when the last page was timed: {sent:,}")
            if sent >= args.contacts:
                raise RuntimeError("the campaign ended before the pages were timed")
        finally:
            for process in workers:
                process.terminate()
                process.wait(timeout=60)
    database.dispose()
    return results


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile `p` (0-100)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def main(argv: list[str] | None = None) -> int:
    """`--runs` runs, each one's figures, then the medians of the runs' medians."""
    args = parse_args(argv)
    medians: dict[str, list[float]] = {}
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="convier-back-office-") as workdir:
            results = one_run(args, Path(workdir))
        parts = []
        for name, values in results.items():
            medians.setdefault(name, []).append(statistics.median(values))
            parts.append(f"{name} median {statistics.median(values):.1f}, "
                         f"p90 {percentile(values, 90):.1f}")  # fmt: skip
        print(f"run {run}/{args.runs}: " + "; ".join(parts), flush=True)
    ok = True
    for name, values in medians.items():
        target = UPLOAD_TARGET_S if name.endswith("(s)") else TARGET_MS
        median = statistics.median(values)
        ok = ok and median < target
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"{name}: median of the runs {median:.1f} (runs: {runs}; target < {target})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
