"""The life of a campaign: create, launch (now or at its time), build its outbox rows page by
page, pause, resume, cancel, and finish once every row is final. The caller owns the transaction,
except `build`, which commits each page so that sending starts while the audience is read."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from contacts.segments import load_rules
from service.campaigns.audience import list_ids, next_page
from service.campaigns.audience_writer import Page, write_page
from service.campaigns.errors import CampaignNotFound, CampaignStateError
from service.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignRule,
    CampaignState,
    RuleAnchor,
)
from service.config import Settings
from service.db import Database, utcnow
from service.errors import Invalid, NotFound
from service.events.models import Event
from service.mail import outbox
from service.mail.context import ENGLISH, checked_url
from service.mail.dispatch import drain_after_commit
from service.mail.models import Message, MessageStatus
from service.mail.render import email_names
from service.text import CONTROLS, PROSE_CONTROLS

State = CampaignState
OPEN_ROWS = (MessageStatus.QUEUED, MessageStatus.SENDING)
PAGE_WRITERS = 2  # pages of a campaign written at once on PostgreSQL


@dataclass(frozen=True)
class CampaignSpec:
    """What an organiser asks for when creating a campaign."""

    event_id: int
    kind: CampaignKind
    lists: list[str] = field(default_factory=list)
    segment: str = ""
    template: str = ""
    subject: str = ""
    sender_name: str = ""
    send_at: datetime | None = None
    rate_per_minute: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def create(session: Session, spec: CampaignSpec) -> Campaign:
    """A draft campaign, its lists and template checked."""
    if session.get(Event, spec.event_id) is None:
        raise Invalid("event", f"no event with id {spec.event_id}")
    if spec.kind is CampaignKind.INVITATION and not (spec.lists or spec.segment):
        raise Invalid("lists", "an invitation campaign needs lists or a segment")
    list_ids(session, spec.lists)
    template = spec.template or spec.kind.template
    if template not in email_names():
        raise Invalid("template", f"no email called {template!r}")
    if spec.rate_per_minute is not None and spec.rate_per_minute < 1:
        raise Invalid("rate", "at least 1 message per minute")
    if CONTROLS.search(spec.subject + spec.sender_name):
        raise Invalid(("subject", "sender_name"), "one line each, without control characters")
    for name, value, longest in (("subject", spec.subject, 300),
                                 ("sender_name", spec.sender_name, 300)):  # fmt: skip
        if len(value) > longest:
            raise Invalid(name, f"at most {longest} characters")
    if spec.segment:
        try:
            load_rules(session, spec.segment)
        except NotFound as missing:
            raise Invalid("segment", missing.message) from None
    _check_words(spec.extra)
    campaign = Campaign(
        event_id=spec.event_id,
        kind=spec.kind,
        lists=spec.lists,
        segment=spec.segment,
        template=template,
        subject=spec.subject,
        sender_name=spec.sender_name,
        send_at=spec.send_at,
        rate_per_minute=spec.rate_per_minute,
        state=State.DRAFT,
        extra=spec.extra,
    )
    session.add(campaign)
    session.flush()
    return campaign


def _check_words(extra: dict[str, Any]) -> None:
    """The organiser's words (note, access, resources_url, and their `_en`): texts without
    control characters but line breaks, links an email may carry."""
    for name, value in extra.items():
        if not isinstance(value, str) or PROSE_CONTROLS.search(value):
            raise Invalid(name, "a text, without control characters")
        if name.removesuffix(ENGLISH).endswith("_url") and value:
            try:
                checked_url(name, value)
            except ValueError:
                raise Invalid(name, "an http(s), mailto: or tel: link") from None


def campaigns_of(session: Session, event_id: int | None) -> list[Campaign]:
    """The campaigns of an event (of every event when None), oldest first."""
    query = select(Campaign).order_by(Campaign.id)
    if event_id is not None:
        query = query.where(Campaign.event_id == event_id)
    return list(session.scalars(query))


def get(session: Session, campaign_id: int) -> Campaign:
    """The campaign, or CampaignNotFound naming the id."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"no campaign with id {campaign_id}")
    return campaign


def _move(session: Session, campaign_id: int, allowed: tuple[State, ...], to: State) -> bool:
    """Change the state if it is one of `allowed` (safe against a racing tick or a second
    command). The row is locked FOR UPDATE first: a page of the build being written holds it
    FOR KEY SHARE, which an UPDATE alone would not wait for, so that a pause waits for the
    pages being written, and the pages after it see the pause."""
    session.execute(select(Campaign.id).where(Campaign.id == campaign_id).with_for_update())
    moved = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.state.in_(allowed))
        .values(state=to)
        .returning(Campaign.id)
        .execution_options(synchronize_session=False)
    ).first()
    return moved is not None


def launch(
    session: Session, campaign_id: int, start_build: Callable[[Session, int], None]
) -> Campaign:
    """Schedule the campaign for its send time, or start it now (`start_build` hands the build
    to a worker once the transaction commits)."""
    campaign = get(session, campaign_id)
    now = utcnow()
    if campaign.send_at is not None and campaign.send_at > now:
        if not _move(session, campaign_id, (State.DRAFT,), State.SCHEDULED):
            raise CampaignStateError(
                f"campaign {campaign_id} is {campaign.state}: only a draft launches"
            )
    elif not _move(session, campaign_id, (State.DRAFT, State.SCHEDULED), State.SENDING):
        raise CampaignStateError(
            f"campaign {campaign_id} is {campaign.state}: only a draft launches"
        )
    else:
        _started(session, campaign, now)
        start_build(session, campaign_id)
    session.refresh(campaign)
    return campaign


def _started(session: Session, campaign: Campaign, now: datetime) -> None:
    session.execute(update(Campaign).where(Campaign.id == campaign.id).values(launched_at=now))
    if campaign.kind is CampaignKind.INVITATION:
        anchor_invitations(session, campaign.event_id, now)


def anchor_invitations(session: Session, event_id: int, launched_at: datetime) -> None:
    """The event's invitations leave: rules counting from them get their due time (the first
    invitation campaign's launch is the one that counts)."""
    rules = session.scalars(
        select(CampaignRule).where(
            CampaignRule.event_id == event_id,
            CampaignRule.anchor == RuleAnchor.INVITATION,
            CampaignRule.due_at.is_(None),
        )
    ).all()
    for rule in rules:
        rule.due_at = launched_at + timedelta(hours=rule.offset_hours)


def start_due(session: Session, now: datetime | None = None) -> list[int]:
    """Move scheduled campaigns whose time has come to sending; each is claimed by one
    conditional UPDATE, so two ticks never start one twice. Returns their ids."""
    now = now or utcnow()
    due = session.scalars(
        select(Campaign.id).where(Campaign.state == State.SCHEDULED, Campaign.send_at <= now)
    ).all()
    started = []
    for campaign_id in due:
        if _move(session, campaign_id, (State.SCHEDULED,), State.SENDING):
            _started(session, get(session, campaign_id), now)
            started.append(campaign_id)
    return started


def pause(session: Session, campaign_id: int) -> None:
    """Stop new sends; emails already handed to the provider are not called back."""
    if not _move(session, campaign_id, (State.SENDING, State.SCHEDULED), State.PAUSED):
        raise CampaignStateError(f"campaign {campaign_id} is {get(session, campaign_id).state}")
    outbox.hold(session, Message.campaign_id == campaign_id)


def resume(session: Session, campaign_id: int) -> None:
    """Go on where the campaign stopped; rows already sent are never sent again. A campaign
    paused before its send time came is scheduled again (the tick starts it when due)."""
    started = get(session, campaign_id).launched_at is not None
    if not _move(
        session, campaign_id, (State.PAUSED,), State.SENDING if started else State.SCHEDULED
    ):
        raise CampaignStateError(f"campaign {campaign_id} is {get(session, campaign_id).state}")
    outbox.hold(session, Message.campaign_id == campaign_id, held=False)
    drain_after_commit(session)


def cancel(session: Session, campaign_id: int) -> None:
    """Stop for good: rows not yet claimed are cancelled."""
    allowed = (State.DRAFT, State.SCHEDULED, State.SENDING, State.PAUSED)
    if not _move(session, campaign_id, allowed, State.CANCELLED):
        raise CampaignStateError(f"campaign {campaign_id} is {get(session, campaign_id).state}")
    session.execute(
        update(Message)
        .where(Message.campaign_id == campaign_id, Message.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(finished_at=utcnow()))


def build(db: Database, settings: Settings, campaign_id: int) -> int:
    """Write the campaign's outbox rows page by page (invitations and list attribution first,
    for an invitation campaign); each page commits and starts a drain. Safe to run twice:
    every row has its unique key. Returns the audience size.

    On PostgreSQL two pages are written at once, each on its own connection, so that the
    database works on two cores while the next page is read (nearly all of a page's time is
    the database's: its index entries and foreign key checks)."""
    with db.transaction(write=False) as session:
        campaign = get(session, campaign_id)
        lists = list(list_ids(session, campaign.lists).values())
    writers = 1 if db.is_sqlite else PAGE_WRITERS
    total = after = 0
    written: deque[Future[int | None]] = deque()
    with ThreadPoolExecutor(writers, thread_name_prefix="campaign-page") as pool:
        while True:
            with db.transaction(write=False) as session:
                page = next_page(session, campaign, after)
            if page:
                written.append(pool.submit(_write_page, db, settings, campaign, lists, page))
                after = page[-1][0]
            while written and (len(written) >= writers or not page):
                count = written.popleft().result()
                if count is None:  # cancelled: the pages still being written end alone
                    return total
                total += count
                with db.transaction() as session:
                    _seen(session, campaign_id)
            if not page:
                break
    with db.transaction() as session:
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(audience_count=total, built_at=utcnow())
        )
    return total


def _write_page(
    db: Database, settings: Settings, campaign: Campaign, lists: list[int], page: Page
) -> int | None:
    """One page written and committed; its size, or None when the campaign was cancelled."""
    with db.transaction() as session:
        # Locked first, so that a change of state waits for this page, or this page sees it.
        # FOR KEY SHARE: shared with the other page, and the build's heartbeat (an UPDATE of
        # another column) does not wait for it.
        state = session.scalar(
            select(Campaign.state)
            .where(Campaign.id == campaign.id)
            .with_for_update(read=True, key_share=True)
        )
        if state is State.CANCELLED:
            return None
        write_page(session, settings, campaign, lists, page, held=state is not State.SENDING)
        drain_after_commit(session)
    return len(page)


def _seen(session: Session, campaign_id: int) -> None:
    session.execute(
        update(Campaign).where(Campaign.id == campaign_id).values(build_seen_at=utcnow())
    )


def restart_lost_builds(session: Session, silent_for: timedelta) -> list[int]:
    """Sending campaigns whose build wrote nothing for `silent_for` (its task was lost with a
    broker's queues, or its worker died): claimed again, one tick at a time, and returned to
    be built again. Building again writes only the rows still missing."""
    now = utcnow()
    last_seen = func.coalesce(Campaign.build_seen_at, Campaign.launched_at)
    lost = session.scalars(
        update(Campaign)
        .where(
            Campaign.state == State.SENDING,
            Campaign.built_at.is_(None),
            last_seen < now - silent_for,
        )
        .values(build_seen_at=now)
        .returning(Campaign.id)
        .execution_options(synchronize_session=False)
    ).all()
    return list(lost)


def finish_done(session: Session) -> list[int]:
    """Mark done the sending campaigns whose rows are all written and final."""
    open_rows = exists().where(Message.campaign_id == Campaign.id, Message.status.in_(OPEN_ROWS))
    done = session.scalars(
        update(Campaign)
        .where(Campaign.state == State.SENDING, Campaign.built_at.is_not(None), ~open_rows)
        .values(state=State.DONE, finished_at=utcnow())
        .returning(Campaign.id)
        .execution_options(synchronize_session=False)
    ).all()
    return list(done)


def progress(session: Session, campaign_id: int) -> dict[str, int]:
    """The campaign's rows by status (every status present, 0 when none)."""
    counts = dict(
        session.execute(
            select(Message.status, func.count())
            .where(Message.campaign_id == campaign_id)
            .group_by(Message.status)
        ).all()
    )
    return {status.value: counts.get(status, 0) for status in MessageStatus}


def rate_of_message(session: Session, message_id: int) -> tuple[int | None, int | None]:
    """(rate per minute, campaign id) of the campaign an outbox row belongs to, if any."""
    row = session.execute(
        select(Campaign.rate_per_minute, Campaign.id)
        .join(Message, Message.campaign_id == Campaign.id)
        .where(Message.id == message_id)
    ).first()
    return (row[0], row[1]) if row else (None, None)
