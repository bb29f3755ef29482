"""The communications dashboard at scale (issue 16): an event's home, its live tiles, its network
lists compared, one list's page and its statistics page, asked by a signed-in organiser of the
web under gunicorn (2 × 2, as `bench/back_office.py`) on PostgreSQL, for an event with
`--contacts` invitations and `--events` provider events.

The database (`bench_dashboard`, rebuilt unless `--reuse` finds it seeded):

- the measured event, starting in 30 days, and `--contacts` contacts on the four network lists
  of `bench/campaign.py` (20 % of the people on two lists, 1 % suppressed); its invitation
  campaign built by `services.build` and marked sent 10 days ago (`bench/webhooks.py`'s
  `mark_sent`, then the send times moved), a follow-up to the people of CNCRES and RTES who had
  not answered, 4 days ago;
- 4 % of the people answer through the registration service (`register`, one in 25 `decline`),
  at moments spread over the days since each campaign, in order: 300 seats confirmed, the rest
  waitlisted; 5 seats given back 30 hours ago, so 5 seats are offered and about to lapse; each
  registration dated by its answer, and its emails marked sent;
- 300 replies of people (two thirds handled) and 150 automatic replies; 40 follow-up emails
  failed;
- `--events` provider events over the event's emails sent, written by COPY: each email
  processed, then delivered (about 94 %), bounced or dropped; 2.5 % of the delivered
  unsubscribed or reported as spam; the rest opens and clicks (22 : 15.5, as
  `bench/webhooks.py`), a third of the opens by privacy proxies, one click in 20 by a link
  scanner; then `funnel.recompute`, which sets the invitations' steps as reading the webhook
  batches would have;
- an earlier event, 90 days ago, to which a fifth of the people (a segment on a tag) were invited
  through the same lists, with registrations and events in the same proportions (its own
  `--events` share), so that the lists page has past rates;
- `VACUUM ANALYZE`.

Each page is checked to answer 200 with the seeded figures, warmed up, then asked `--samples`
times in turn; the median and 90th percentile of the answer times (client side, to the end of the
answer). Then again, "recounted": before each timed answer one provider event is stored, as a
webhook batch would, so that the figures each process keeps while nothing changes
(service/tracking/snapshots.py) are counted again for every answer. `--explain` then profiles
each page in this process (each SQL statement timed) and prints `EXPLAIN (ANALYZE, BUFFERS)` of
the slowest ones.

    .venv/bin/python bench/dashboard.py --runs 3
    .venv/bin/python bench/dashboard.py --runs 3 --reuse --explain 2
    .venv/bin/python bench/dashboard.py --contacts 10000 --events 50000 --runs 1 --samples 5

Target: the event home and the lists page answer in under 150 ms (median) on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import requests
from back_office import PASSWORD, answer_ms, percentile, signed_in
from campaign import LISTS, load_average, populate
from common import reset_postgres
from registration_rush import free_port, gunicorn
from send import event_spec, worker_env
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from webhooks import mark_sent

from contacts.models import Contact, MailingList
from contacts.segments import SegmentRules, save_segment
from service.accounts.models import Role
from service.accounts.services import create_user, set_password
from service.campaigns import services as campaigns
from service.campaigns.models import Campaign, CampaignKind
from service.config import Settings, load_settings
from service.db import Database, DatabaseUnavailable, utcnow
from service.events.models import Event
from service.events.services import create_event
from service.mail.models import Message, MessageStatus
from service.migrate import upgrade
from service.registrations import services as registrations
from service.registrations.models import Invitation, Registration
from service.registrations.models import RegistrationStatus as S
from service.registrations.queries import event_counts
from service.tracking import dashboard, funnel
from service.tracking.models import ProviderEvent, Reply, ReplyKind

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_dashboard"
REDIS_URL = "redis://127.0.0.1:6379/13"  # no test uses it; the other benches use 9 to 12
TARGET_MS = 150
TARGETED = ("event home", "lists page")
CAPACITY = 300
EARLIER_SLUG = "bench-dashboard-earlier"
EARLIER_TAG = "rencontre-precedente"
FOLLOW_UP_LISTS = ["CNCRES", "RTES"]
ANSWERING = 0.04  # of the people invited
DECLINE_EVERY = 25
GIVEN_BACK = 5
REPLIES = {ReplyKind.HUMAN: 300, ReplyKind.AUTOMATIC: 150}
FAILED = 40
ANSWER_BATCH = 250
SEED = 16
# Per email sent: bounced, dropped, and among the delivered unsubscribed (one in five as spam).
BOUNCED, DROPPED, UNSUBSCRIBED = 0.05, 0.012, 0.025
OPEN_SHARE = 22 / (22 + 15.5)  # opens : clicks, as bench/webhooks.py
EVENT_COLUMNS = ", ".join(("sg_event_id", "message_id", "event", "detail", "occurred_at",
                           "machine", "reason", "url", "received_at"))  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=500_000, help="of the measured event")
    parser.add_argument("--samples", type=int, default=30, help="answers timed per page and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="keep a database this script seeded before"
    )
    parser.add_argument(
        "--explain", type=int, default=0, metavar="N", help="EXPLAIN the N slowest statements"
    )
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="its schema is rebuilt")
    parser.add_argument("--redis-url", default=REDIS_URL)
    return parser.parse_args(argv)


# --- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """The measured event, a list of it, and how long seeding took (0 when reused)."""

    event_id: int
    list_id: int
    seconds: float


def seed(args: argparse.Namespace, database: Database, settings: Settings) -> Seeded:
    """The whole database described in the module's docstring."""
    started = time.perf_counter()
    now = utcnow()
    rng = random.Random(SEED)
    invitation = populate(database, settings.tz, settings.secret_key, args.contacts)
    with database.transaction() as session:
        event_id = campaigns.get(session, invitation).event_id
        _move(session, event_id, now + timedelta(days=30))
        earlier_id, earlier = _earlier_event(session, settings)
        session.execute(update(Event).values(capacity=CAPACITY))
        set_password(session, create_user(session, "orga@example.org", Role.ORGANISER), PASSWORD)
    step = _stopwatch(started)
    step("contacts, lists, events (bench/campaign.py's populate)")
    send(database, settings, earlier, now - timedelta(days=100))
    answer(database, earlier_id, rng, now - timedelta(days=100), now - timedelta(days=91), 1.0)
    _move_session(database, earlier_id, now - timedelta(days=90))
    step("earlier event: campaign sent, answers")
    send(database, settings, invitation, now - timedelta(days=10))
    step("invitation campaign built and sent")
    answer(database, event_id, rng, now - timedelta(days=10), now - timedelta(days=4), 0.6)
    step("answers before the follow-up")
    follow_up = _campaign(database, event_id, CampaignKind.FOLLOW_UP, FOLLOW_UP_LISTS)
    send(database, settings, follow_up, now - timedelta(days=4))
    step("follow-up built and sent")
    answer(database, event_id, rng, now - timedelta(days=4), now - timedelta(minutes=1), 0.4)
    give_back(database, event_id, now - timedelta(hours=30))
    date_answers(database)
    write_replies(database, event_id, rng, now)
    fail(database, follow_up)
    step("answers after it, seats given back, replies, failures")
    sent, sent_before = _sent(database, event_id), _sent(database, earlier_id)
    total = write_events(database, sent, args.events, rng, 0)
    share = round(args.events * len(sent_before) / max(len(sent), 1))
    total += write_events(database, sent_before, share, rng, total)
    step(f"{total:,} provider events ({args.events:,} of the measured event)")
    with database.transaction() as session:
        funnel.recompute(session, event_id)
        funnel.recompute(session, earlier_id)
    step("funnel.recompute")
    _vacuum(database)
    step("VACUUM ANALYZE")
    with database.transaction(write=False) as session:
        list_id = _list_id(session, LISTS[0])
    return Seeded(event_id, list_id, time.perf_counter() - started)


def _stopwatch(started: float) -> Callable[[str], None]:
    """A function printing the seconds since `started` after each seeding step."""
    last = [started]

    def step(what: str) -> None:
        """Print how long `what` took."""
        now = time.perf_counter()
        print(f"  seeded {what} in {now - last[0]:.1f} s", flush=True)
        last[0] = now

    return step


def _move(session: Session, event_id: int, starts_at: datetime) -> None:
    """The event's start (and end, three hours later) moved to `starts_at`."""
    session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(starts_at=starts_at, ends_at=starts_at + timedelta(hours=3))
    )


def _move_session(database: Database, event_id: int, starts_at: datetime) -> None:
    """`_move` in a transaction of its own."""
    with database.transaction() as session:
        _move(session, event_id, starts_at)


def _earlier_event(session: Session, settings: Settings) -> tuple[int, int]:
    """The earlier event and its draft invitation campaign to a fifth of the people (those tagged
    by a segment): (event id, campaign id)."""
    spec = event_spec().model_copy(
        update={"slug": EARLIER_SLUG, "title": "Rencontre nationale des PTCE (printemps)"}
    )
    event_id = create_event(session, spec, settings.tz).id
    session.execute(
        update(Contact).where(Contact.id % 5 == 2).values(tags=[EARLIER_TAG]),
        execution_options={"synchronize_session": False},
    )
    save_segment(session, EARLIER_TAG, SegmentRules(tags=[EARLIER_TAG]))
    spec = campaigns.CampaignSpec(
        event_id, CampaignKind.INVITATION, lists=list(LISTS), segment=EARLIER_TAG
    )
    return event_id, campaigns.create(session, spec).id


def _campaign(database: Database, event_id: int, kind: CampaignKind, lists: list[str]) -> int:
    """A new draft campaign of the event: its id."""
    with database.transaction() as session:
        return campaigns.create(session, campaigns.CampaignSpec(event_id, kind, lists=lists)).id


def send(database: Database, settings: Settings, campaign_id: int, at: datetime) -> None:
    """Launch and build the campaign in this process, mark its emails sent (`mark_sent`), then
    date it all from `at`: launch, sends spread over an hour, its invitations' first send."""
    with database.transaction() as session:
        campaigns.launch(session, campaign_id, lambda *_: None)
    campaigns.build(database, settings, campaign_id)
    mark_sent(database, campaign_id)
    with database.transaction() as session:
        campaigns.finish_done(session)
        session.execute(
            text(
                "UPDATE message SET created_at = :at, due_at = :at, sent_at = CASE WHEN"
                " status = 'sent' THEN :at + make_interval(secs => id % 3600) END"
                " WHERE campaign_id = :campaign"
            ),
            {"at": at, "campaign": campaign_id},
        )
        session.execute(
            text(
                "UPDATE invitation SET sent_at = m.sent_at, created_at = :at FROM message m"
                " WHERE m.invitation_id = invitation.id AND m.campaign_id = :campaign"
                " AND m.status = 'sent' AND invitation.sent_at IS NULL"
            ),
            {"at": at, "campaign": campaign_id},
        )
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(
                created_at=at - timedelta(days=1),
                launched_at=at,
                build_seen_at=at + timedelta(seconds=15),
                built_at=at + timedelta(seconds=15),
                finished_at=at + timedelta(hours=1),
            )
        )


def answer(
    database: Database, event_id: int, rng: random.Random, start: datetime, end: datetime,
    share: float,
) -> None:  # fmt: skip
    """`share` of the event's ANSWERING people, chosen among those invited who have not answered,
    answer through the registration service at moments from `start` to `end` (more at first),
    in order; one in DECLINE_EVERY declines."""
    with database.transaction(write=False) as session:
        silent = session.scalars(
            select(Invitation.id)
            .where(
                Invitation.event_id == event_id,
                Invitation.sent_at.is_not(None),
                Invitation.responded_at.is_(None),
            )
            .order_by(Invitation.id)
        ).all()
        invited = session.scalar(select(func.count()).where(Invitation.event_id == event_id))
    chosen = rng.sample(silent, min(len(silent), round((invited or 0) * ANSWERING * share)))
    span = (end - start).total_seconds()
    moments = sorted(start + timedelta(seconds=span * rng.random() ** 2) for _ in chosen)
    for first in range(0, len(chosen), ANSWER_BATCH):
        part = list(zip(chosen[first:], moments[first : first + ANSWER_BATCH], strict=False))
        with database.transaction() as session:
            found = session.scalars(
                select(Invitation).where(Invitation.id.in_([i for i, _ in part]))
            )
            invitations = {invitation.id: invitation for invitation in found}
            for number, (invitation_id, moment) in enumerate(part, first):
                if number % DECLINE_EVERY == DECLINE_EVERY - 1:
                    registrations.decline(session, invitations[invitation_id], moment)
                else:
                    registrations.register(session, invitations[invitation_id], {}, moment)


def give_back(database: Database, event_id: int, moment: datetime) -> None:
    """GIVEN_BACK confirmed people cancel at `moment`: their seats are offered to the first
    people waiting, for the event's claim window (48 hours): the offers made 30 hours ago end
    within a day (the attention strip's "offers ending")."""
    with database.transaction() as session:
        seated = session.scalars(
            select(Invitation)
            .join(Registration, Registration.invitation_id == Invitation.id)
            .where(Registration.event_id == event_id, Registration.status == S.CONFIRMED)
            .order_by(Registration.id.desc())
            .limit(GIVEN_BACK)
        ).all()
        for invitation in seated:
            registrations.cancel(session, invitation, moment)


def date_answers(database: Database) -> None:
    """Each registration dated by its answer (the service dates it now), and the emails of the
    registrations marked sent half a minute after."""
    with database.transaction() as session:
        session.execute(
            text(
                "UPDATE registration SET created_at = i.responded_at FROM invitation i"
                " WHERE i.id = registration.invitation_id AND i.responded_at IS NOT NULL"
            )
        )
        session.execute(
            text(
                "UPDATE message SET status = 'sent', attempts = 1, created_at = r.created_at,"
                " due_at = r.created_at, sent_at = r.created_at + interval '30 seconds'"
                " FROM registration r WHERE message.registration_id = r.id"
                " AND message.status = 'queued'"
            )
        )


def write_replies(database: Database, event_id: int, rng: random.Random, now: datetime) -> None:
    """REPLIES of each kind from people invited, received since their invitation; two thirds of
    the people's replies handled."""
    with database.transaction() as session:
        invited = session.execute(
            select(Invitation.id, Contact.email, Invitation.sent_at)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.event_id == event_id, Invitation.sent_at.is_not(None))
            .order_by(Invitation.id)
        ).all()
        chosen = iter(rng.sample(invited, sum(REPLIES.values())))
        rows = []
        for kind, count in REPLIES.items():
            for number in range(count):
                invitation_id, address, sent_at = next(chosen)
                rows.append({
                    "invitation_id": invitation_id, "kind": kind, "sender": address,
                    "subject": "Re: Rencontre nationale des PTCE" if kind is ReplyKind.HUMAN
                    else "Réponse automatique : absente du bureau",
                    "text": "Bonjour, je vous réponds au sujet de l'invitation.",
                    "handled": kind is ReplyKind.HUMAN and number % 3 != 0,
                    "received_at": _later(sent_at, now, rng),
                })  # fmt: skip
        session.execute(insert(Reply), rows)


def fail(database: Database, campaign_id: int) -> None:
    """FAILED emails of the campaign failed instead of sent (their provider refused them)."""
    with database.transaction() as session:
        chosen = (
            select(Message.id)
            .where(Message.campaign_id == campaign_id, Message.status == MessageStatus.SENT)
            .order_by(Message.id)
            .limit(FAILED)
        )
        session.execute(
            update(Message)
            .where(Message.id.in_(chosen.scalar_subquery()))
            .values(
                status=MessageStatus.FAILED,
                sent_at=None,
                attempts=5,
                last_error="550 5.7.1 Message rejected: sender not authorised",
            )
            .execution_options(synchronize_session=False)
        )


def _later(sent_at: datetime, now: datetime, rng: random.Random) -> datetime:
    """A moment after `sent_at` (a day later on average), before `now`."""
    longest = (now - sent_at).total_seconds() - 60
    return sent_at + timedelta(seconds=min(rng.expovariate(1 / 86_400) + 90, longest))


def _sent(database: Database, event_id: int) -> list[tuple[int, datetime]]:
    """(id, sent at) of the event's emails sent, by id."""
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(Message.id, Message.sent_at)
            .where(Message.event_id == event_id, Message.status == MessageStatus.SENT)
            .order_by(Message.id)
        ).all()
    return [(message_id, sent_at) for message_id, sent_at in rows if sent_at is not None]


def event_rows(
    messages: list[tuple[int, datetime]], total: int, rng: random.Random, first: int
) -> list[tuple[Any, ...]]:
    """`total` provider events over `messages` (see the module's docstring), as COPY rows, their
    SendGrid ids numbered from `first`."""
    now = utcnow()
    rows: list[tuple[Any, ...]] = []

    def add(message_id: int, kind: str, at: datetime, machine: bool = False, **more: str) -> None:
        """One event of `kind` about the message, received 3 s after it happened."""
        rows.append((
            f"bench-{first + len(rows):07d}-{kind}", message_id, kind, more.get("detail", ""), at,
            machine, more.get("reason", ""), more.get("url", ""), at + timedelta(seconds=3),
        ))  # fmt: skip

    delivered = []
    for message_id, sent_at in messages:
        add(message_id, "processed", sent_at + timedelta(seconds=1))
        draw = rng.random()
        if draw < BOUNCED:
            detail = "bounce" if draw < BOUNCED / 2 else "blocked"
            add(message_id, "bounce", sent_at + timedelta(seconds=20), detail=detail,
                reason="550 5.1.1 no such user")  # fmt: skip
        elif draw < BOUNCED + DROPPED:
            add(message_id, "dropped", sent_at + timedelta(seconds=2), reason="Bounced Address")
        else:
            add(message_id, "delivered", sent_at + timedelta(seconds=12), reason="250 2.0.0 OK")
            delivered.append((message_id, sent_at))
            if draw > 1 - UNSUBSCRIBED:
                kind = "spamreport" if draw > 1 - UNSUBSCRIBED / 5 else "unsubscribe"
                add(message_id, kind, _later(sent_at, now, rng))
    openers = [m for m in delivered if rng.random() < 0.5] or delivered
    clickers = [m for m in openers if rng.random() < 0.45] or openers
    opens = round(max(total - len(rows), 0) * OPEN_SHARE)
    for number in range(opens):
        message_id, sent_at = rng.choice(openers)
        proxy = number % 3 == 0  # a privacy proxy fetches the images once, at delivery
        at = sent_at + timedelta(seconds=70) if proxy else _later(sent_at, now, rng)
        add(message_id, "open", at, proxy)
    for number in range(max(total - len(rows), 0)):
        message_id, sent_at = rng.choice(clickers)
        scanner = number % 20 == 0  # a link scanner clicks within seconds
        at = sent_at + timedelta(seconds=4) if scanner else _later(sent_at, now, rng)
        add(message_id, "click", at, scanner, url="https://convier.example.org/r/abc")
    return rows[:total]


def write_events(
    database: Database, sent: list[tuple[int, datetime]], total: int, rng: random.Random, first: int
) -> int:
    """`total` provider events over these emails sent, by COPY, numbered from `first`; how
    many."""
    rows = event_rows(sent, total, rng, first)
    with database.engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY provider_event ({EVENT_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return len(rows)


def _vacuum(database: Database) -> None:
    """VACUUM ANALYZE, as autovacuum has done long before anyone looks at the figures."""
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def _list_id(session: Session, name: str) -> int:
    """The id of the list called `name`."""
    return int(session.scalar(select(MailingList.id).where(MailingList.name == name)) or 0)


def seeded_before(args: argparse.Namespace, database: Database) -> Seeded | None:
    """The seeded database this script left, when it holds `--events` events for the event."""
    try:
        with database.transaction(write=False) as session:
            event_id = session.scalar(select(Event.id).where(Event.slug == event_spec().slug))
            list_id = _list_id(session, LISTS[0])
    except (DBAPIError, DatabaseUnavailable):  # no database or no schema yet: seed
        return None
    if event_id is None or provider_events(database, event_id) != args.events:
        return None
    return Seeded(event_id, list_id, 0.0)


def provider_events(database: Database, event_id: int) -> int:
    """How many provider events concern the event's emails."""
    with database.transaction(write=False) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(ProviderEvent)
                .join(Message, Message.id == ProviderEvent.message_id)
                .where(Message.event_id == event_id)
            )
            or 0
        )


# --- the pages -------------------------------------------------------------------------------

PAGES = {
    "event home": "/manage/events/{event}",
    "tiles fragment": "/manage/events/{event}/tiles",
    "lists page": "/manage/events/{event}/lists",
    "one list's page": "/manage/events/{event}/lists/{list}",
    "statistics page": "/manage/events/{event}/statistics",
}
TILE = re.compile(r'data-tile="(\w+)">([^<]*)<')


def paths(seeded: Seeded) -> dict[str, str]:
    """Each page's path for the seeded event, by name."""
    return {
        name: path.format(event=seeded.event_id, list=seeded.list_id)
        for name, path in PAGES.items()
    }


def tiles_of(html: str) -> dict[str, str]:
    """The tiles of a page as their figures' digits, by name."""
    return {name: re.sub(r"\D", "", unescape(value)) for name, value in TILE.findall(html)}


def table_rows(html: str, table: str) -> list[list[str]]:
    """The text of each cell of each row of a table of figures."""
    body = re.search(rf'<table id="{table}-table".*?<tbody>(.*?)</tbody>', html, re.S)
    if body is None:
        return []
    return [
        [" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
         for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body[1], re.S)
    ]  # fmt: skip


def expected_tiles(database: Database, settings: Settings, event_id: int) -> dict[str, str]:
    """What the tiles must show, read in this process through the services."""
    with database.transaction(write=False) as session:
        item = session.get(Event, event_id)
        assert item is not None
        counts = event_counts(session, item)
        shown = dashboard.tiles(session, item, utcnow(), settings.tz)
    return {
        "seats": f"{counts.seats_held}{counts.capacity}",
        "waitlist": str(counts.waitlisted),
        "failed": str(shown.emails_failed),
        "replies": str(shown.replies_open),
    }


def check_pages(
    browser: requests.Session, base: str, seeded: Seeded, tiles: dict[str, str]
) -> dict[str, bool]:
    """Each page answers 200 with the seeded figures: each verification by name."""
    pages = {name: browser.get(base + path) for name, path in paths(seeded).items()}
    checks = {f"{name} 200": page.status_code == 200 for name, page in pages.items()}
    for name in ("event home", "tiles fragment"):
        shown = tiles_of(pages[name].text)
        checks[f"{name}'s tiles"] = all(shown.get(k) == v for k, v in tiles.items())
    compared = table_rows(pages["lists page"].text, "compared")
    checks["4 lists compared"] = len(compared) == len(LISTS)
    # Columns: list … written to by a follow-up (7th), … past rates (last).
    checks["past rates of each list"] = all(row[-1] not in ("", "—") for row in compared)
    followed = {row[0] for row in compared if row[6] not in ("0", "—")}
    checks["follow-up lift"] = set(FOLLOW_UP_LISTS) <= followed
    checks["one list's history"] = len(table_rows(pages["one list's page"].text, "history")) == 2
    checks["2 campaigns"] = len(table_rows(pages["statistics page"].text, "campaigns")) == 2
    return checks


def time_pages(
    browser: requests.Session,
    base: str,
    seeded: Seeded,
    samples: int,
    touch: Callable[[], None] | None = None,
) -> dict[str, list[float]]:
    """Each page warmed up, then asked `samples` times in turn: milliseconds, by page. With
    `touch`, called before each answer timed: the figures have changed, each page counts them
    again (the processes keep them while nothing changes: service/tracking/snapshots.py)."""
    urls = {name: base + path for name, path in paths(seeded).items()}
    for url in urls.values():
        for _ in range(3):
            answer_ms(browser, url)
    results: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(samples):
        for name, url in urls.items():
            if touch is not None:
                touch()
            results[name].append(answer_ms(browser, url))
    return {(f"{name}, recounted" if touch else name): times for name, times in results.items()}


def new_report(database: Database) -> Callable[[], None]:
    """A provider event stored (of no email), as a webhook batch would: the figures' version
    moves, so the next page counts them again."""
    numbers = iter(range(1_000_000_000))

    def store() -> None:
        """One more event."""
        with database.transaction() as session:
            session.add(ProviderEvent(sg_event_id=f"bench-touch-{next(numbers)}-{time.time()}",
                                      event="processed", occurred_at=utcnow()))  # fmt: skip

    return store


# --- where the time goes ---------------------------------------------------------------------


def explain(database: Database, seeded: Seeded, limit: int) -> None:
    """Each page asked in this process with every SQL statement timed; the statements' share of
    the page, then EXPLAIN (ANALYZE, BUFFERS) of the `limit` slowest of each page."""
    from service import create_app

    client = create_app().test_client()
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/manage/login").text)
    assert form is not None, "no sign-in form"
    client.post("/manage/login", data={"csrf_token": form[1], "email": "orga@example.org",
                                       "password": PASSWORD})  # fmt: skip
    timed: list[tuple[float, str, Any]] = []

    def before(conn: Any, *_: Any) -> None:
        """Note when the statement left."""
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        """Keep the statement with its time."""
        ms = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        timed.append((ms, statement, parameters))

    for name, path in paths(seeded).items():
        client.get(path)
        event.listen(Engine, "before_cursor_execute", before)
        event.listen(Engine, "after_cursor_execute", after)
        started = time.perf_counter()
        client.get(path)
        page_ms = (time.perf_counter() - started) * 1000
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)
        in_sql = sum(ms for ms, _, _ in timed)
        print(f"\n{name}: {page_ms:.0f} ms in this process, {len(timed)} statements taking "
              f"{in_sql:.0f} ms (client side)")  # fmt: skip
        for ms, statement, _ in sorted(timed, key=lambda t: -t[0]):
            print(f"  {ms:6.1f} ms  {' '.join(statement.split())[:160]}")
        for ms, statement, parameters in sorted(timed, key=lambda t: -t[0])[:limit]:
            print(f"\n  EXPLAIN of the {ms:.1f} ms statement:\n  {' '.join(statement.split())}")
            with database.engine.connect() as connection:
                plan = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                ).scalars()
                print("\n".join(f"    {line}" for line in plan))
        timed.clear()


# --- runs ------------------------------------------------------------------------------------


def prepare(
    args: argparse.Namespace, database: Database, settings: Settings, first: bool
) -> Seeded:
    """The seeded database: the one left before with `--reuse`, else a fresh one."""
    if args.reuse and (found := seeded_before(args, database)) is not None:
        return found
    if args.reuse and not first:
        raise RuntimeError("the database seeded by the first run is gone")
    reset_postgres(args.postgres_url)
    upgrade(args.postgres_url)
    return seed(args, database, settings)


@dataclass
class RunResult:
    """One run's answer times by page, its checks, and what it took to seed."""

    times: dict[str, list[float]]
    checks: dict[str, bool]
    seed_seconds: float
    load: str

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(self.checks.values())


def one_run(args: argparse.Namespace, workdir: Path, first: bool, last: bool) -> RunResult:
    """The seeded database (fresh unless `--reuse`), gunicorn, the pages checked and timed."""
    import redis

    port = free_port()
    env = {**worker_env(args, workdir), "BASE_URL": f"http://127.0.0.1:{port}",
           "RATE_LIMIT_SIGN_IN": "1000 per minute"}  # fmt: skip
    os.environ.update(env)  # the Celery app of this process sends the builds' drains
    redis.Redis.from_url(args.redis_url).flushdb()  # nothing reads them: nothing is sent
    settings = load_settings()
    database = Database(args.postgres_url)
    try:
        seeded = prepare(args, database, settings, first)
        redis.Redis.from_url(args.redis_url).flushdb()
        tiles = expected_tiles(database, settings, seeded.event_id)
        stored = provider_events(database, seeded.event_id) == args.events
        load = load_average()
        log = workdir / "gunicorn.log"
        with gunicorn(env, port, 2, 2, log):
            browser = signed_in(env["BASE_URL"])
            try:
                checks = check_pages(browser, env["BASE_URL"], seeded, tiles)
                times = time_pages(browser, env["BASE_URL"], seeded, args.samples)
                touch = new_report(database)
                times |= time_pages(browser, env["BASE_URL"], seeded, args.samples, touch)
            except AssertionError:
                print_errors(log)
                raise
        if not all(checks.values()):
            print_errors(log)
        checks[f"{args.events:,} provider events"] = stored
        if last and args.explain:
            explain(database, seeded, args.explain)
    finally:
        database.dispose()
    return RunResult(times, checks, seeded.seconds, f"{load} → {load_average()}")


def print_errors(log: Path) -> None:
    """The lines of gunicorn's log that are not access lines (tracebacks), to stderr."""
    lines = [line for line in log.read_text().splitlines() if "gunicorn.access" not in line]
    print("\n".join(lines[-60:]), file=sys.stderr)


def describe(result: RunResult) -> str:
    """One line for a run."""
    failed = [name for name, ok in result.checks.items() if not ok]
    pages = "; ".join(
        f"{name} {statistics.median(values):.0f} ms (p90 {percentile(values, 90):.0f})"
        for name, values in result.times.items()
    )
    seeded = f"seeded in {result.seed_seconds:.0f} s; " if result.seed_seconds else "reused; "
    checks = "pass" if not failed else "FAIL: " + ", ".join(failed)
    return f"{seeded}load {result.load}; {pages}; checks {checks}"


def main(argv: list[str] | None = None) -> int:
    """`--runs` runs, each one's figures, then the medians of the runs' medians and the target."""
    args = parse_args(argv)
    print(f"load average before: {load_average()}", flush=True)
    results = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="convier-dashboard-") as workdir:
            results.append(one_run(args, Path(workdir), run == 1, run == args.runs))
        print(f"run {run}/{args.runs}: {describe(results[-1])}", flush=True)
    met = True
    for name in results[0].times:
        medians = [statistics.median(r.times[name]) for r in results]
        median = statistics.median(medians)
        runs = ", ".join(f"{m:.0f}" for m in medians)
        verdict = ""
        if name.split(",")[0] in TARGETED:
            met = met and median < TARGET_MS
            verdict = f"; target < {TARGET_MS} ms {'met' if median < TARGET_MS else 'NOT met'}"
        print(f"{name}: median of the runs {median:.0f} ms (runs: {runs}){verdict}")
    print(f"load average after: {load_average()}")
    return 0 if met and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
