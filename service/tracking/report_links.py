"""Partner report links: a read-only link, per network list and event, to that list's aggregate
figures and nothing personal. The token is signed with the app's keys and names the row (id,
event, list and a nonce); the row keeps the expiry and the revocation, so a revoked link stops
at once. Since the token is re-derived from the row, a live link can be shown again to send it
to the partner once more; nothing secret is stored."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from contacts.models import MailingList
from service.audit.services import record
from service.config import Settings
from service.db import utcnow
from service.errors import Invalid, NotFound
from service.events.models import Event
from service.events.services import get_event
from service.security import new_public_id
from service.tracking import stats
from service.tracking.models import ReportLink

DEFAULT_DAYS = 30
MAX_DAYS = 366  # a season of events; a partner asks for a new link after that
SALT = "convier.report-link"  # a token signed for another purpose never reads as one of these


class LinkState(enum.StrEnum):
    """Where a report link stands."""

    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ReportLinkRefused(NotFound):
    """A report link that does not open: forged, altered, of another list, or deleted (404)."""

    code = "report_link_unknown"

    def __init__(self, problem: str = "unknown"):
        super().__init__(f"the report link is {problem}")
        self.problem = problem


class ReportLinkGone(ReportLinkRefused):
    """A report link that was real but has expired or been revoked (410)."""

    status = 410
    code = "report_link_gone"


class UnknownReportLink(NotFound):
    """No report link has this id (for this event)."""

    def __init__(self, link_id: int):
        reason = f"no report link with id {link_id}"
        super().__init__(reason, fields={"link": reason})


@dataclass(frozen=True)
class LinkLine:
    """A report link as the back office and the CLI list it; `url` only while it is live."""

    id: int
    list_id: int
    list_name: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str
    state: LinkState
    url: str | None


@dataclass(frozen=True)
class ListReport:
    """What the partner's page shows: the event, the list's name, its funnel and the expiry."""

    event: Event
    list_name: str
    funnel: stats.Funnel
    expires_at: datetime


@lru_cache(maxsize=8)
def _serializer(keys: tuple[str, ...]) -> URLSafeSerializer:
    return URLSafeSerializer(list(keys), salt=SALT)


def token_of(settings: Settings, link: ReportLink) -> str:
    """The link's token, signed with the newest key (the same every time for a given key)."""
    claim = [link.id, link.event_id, link.list_id, link.nonce]
    return str(_serializer(tuple(settings.signing_keys)).dumps(claim))


def url_of(settings: Settings, link: ReportLink) -> str:
    """The address to send to the partner network."""
    return f"{settings.base_url}/report/{link.list_id}/{token_of(settings, link)}"


def state_of(link: ReportLink, now: datetime) -> LinkState:
    """Revoked, expired or live, at `now`."""
    if link.revoked_at is not None:
        return LinkState.REVOKED
    return LinkState.EXPIRED if link.expires_at <= now else LinkState.LIVE


def validity(days: object) -> int:
    """The number of days a new link is valid, read from a form or a command; Invalid naming
    `days` otherwise."""
    text = str(days).strip()
    if not text.isdecimal() or not 1 <= int(text) <= MAX_DAYS:
        raise Invalid("days", f"a whole number of days from 1 to {MAX_DAYS}")
    return int(text)


def find_list(session: Session, name: str) -> MailingList:
    """The mailing list called `name`; NotFound naming `list` otherwise."""
    found = session.scalar(select(MailingList).where(MailingList.name == name.strip()))
    if found is None:
        reason = f"no list called {name!r}"
        raise NotFound(reason, fields={"list": reason})
    return found


def _list(session: Session, list_id: int) -> MailingList:
    found = session.get(MailingList, list_id)
    if found is None:
        reason = f"no list with id {list_id}"
        raise NotFound(reason, fields={"list": reason})
    return found


def create(
    session: Session,
    settings: Settings,
    event_id: int,
    list_id: int,
    days: object = DEFAULT_DAYS,
    actor: str = "cli",
    now: datetime | None = None,
) -> tuple[ReportLink, str]:
    """A new report link for the list at the event, valid `days` days, and its URL; audited."""
    get_event(session, event_id)
    mailing_list = _list(session, list_id)
    valid_days = validity(days)
    now = now or utcnow()
    link = ReportLink(
        event_id=event_id, list_id=list_id, nonce=new_public_id(), created_by=actor,
        created_at=now, expires_at=now + timedelta(days=valid_days),
    )  # fmt: skip
    session.add(link)
    session.flush()
    record(
        session, actor, "report_link.created", event_id, mailing_list.name,
        link=link.id, list_id=list_id, days=valid_days, expires_at=link.expires_at.isoformat(),
    )  # fmt: skip
    return link, url_of(settings, link)


def revoke(
    session: Session, link_id: int, actor: str = "cli", event_id: int | None = None
) -> ReportLink:
    """Refuse the link from now on (revoking twice keeps the first time); with `event_id`, only a
    link of that event; audited."""
    link = session.get(ReportLink, link_id)
    if link is None or (event_id is not None and link.event_id != event_id):
        raise UnknownReportLink(link_id)
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by = utcnow(), actor
        list_name = session.scalar(select(MailingList.name).where(MailingList.id == link.list_id))
        record(
            session, actor, "report_link.revoked", link.event_id, list_name or "",
            link=link.id, list_id=link.list_id,
        )  # fmt: skip
    return link


def of_event(
    session: Session,
    settings: Settings,
    event_id: int,
    list_id: int | None = None,
    now: datetime | None = None,
) -> list[LinkLine]:
    """The event's report links (of one list, with `list_id`), newest first."""
    query = (
        select(ReportLink, MailingList.name)
        .join(MailingList, MailingList.id == ReportLink.list_id)
        .where(ReportLink.event_id == event_id)
        .order_by(ReportLink.created_at.desc(), ReportLink.id.desc())
    )
    if list_id is not None:
        query = query.where(ReportLink.list_id == list_id)
    now = now or utcnow()
    lines = []
    for link, list_name in session.execute(query).all():
        state = state_of(link, now)
        lines.append(
            LinkLine(
                id=link.id, list_id=link.list_id, list_name=list_name,
                created_at=link.created_at, created_by=link.created_by,
                expires_at=link.expires_at, revoked_at=link.revoked_at,
                revoked_by=link.revoked_by, state=state,
                url=url_of(settings, link) if state is LinkState.LIVE else None,
            )
        )  # fmt: skip
    return lines


def of_list(session: Session, settings: Settings, event_id: int, list_id: int) -> list[LinkLine]:
    """The report links of one list at the event, newest first (the list's page in the back
    office)."""
    return of_event(session, settings, event_id, list_id)


def read(
    session: Session, settings: Settings, token: str, list_id: int, now: datetime | None = None
) -> ReportLink:
    """The live link `token` is for, opened under `list_id`; ReportLinkRefused when the token is
    forged or altered, names no row, or another list; ReportLinkGone when revoked or expired."""
    try:
        claim = _serializer(tuple(settings.signing_keys)).loads(token)
    except BadSignature:
        raise ReportLinkRefused() from None
    match claim:
        case [int(link_id), int(event_id), int(claimed_list), str(nonce)]:
            pass
        case _:
            raise ReportLinkRefused()
    link = session.get(ReportLink, link_id)
    if (
        link is None
        or (link.event_id, link.list_id, link.nonce) != (event_id, claimed_list, nonce)
        or link.list_id != list_id
    ):
        raise ReportLinkRefused()
    state = state_of(link, now or utcnow())
    if state is not LinkState.LIVE:
        raise ReportLinkGone(state.value)
    return link


def report(session: Session, link: ReportLink) -> ListReport:
    """The figures of the link's list at its event: only counts, whatever the list holds."""
    event = get_event(session, link.event_id)
    list_name = _list(session, link.list_id).name
    funnel = stats.for_list(session, link.event_id, link.list_id)
    if funnel is None:  # none of the list's people invited yet: every step at zero
        steps = dict.fromkeys((*stats.FUNNEL, "responded"), 0)
        funnel = stats.Funnel(list_name, **steps)
    return ListReport(event, list_name, funnel, link.expires_at)
