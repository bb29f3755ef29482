"""The replies inbox: what came back to the reply addresses, filtered by event, network list,
kind and state, a page at a time; counts for its tabs; marking a reply handled or not (the back
office and `convier replies handle` both call mark_handled, so both leave the same audit trail)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.orm import Session

from contacts.models import Contact, MailingList, display_name
from service.audit.services import record
from service.campaigns.models import InvitationList
from service.errors import NotFound
from service.events.models import Event
from service.registrations.models import Invitation
from service.tracking.models import Reply, ReplyKind

PAGE_SIZE = 50
PREVIEW_LINES = 3
PREVIEW_CHARS = 300


class State(enum.StrEnum):
    """Which replies by their state: to handle, handled, or all of them."""

    OPEN = "open"
    HANDLED = "handled"
    ALL = "all"


class Order(enum.StrEnum):
    """The order of the inbox, by date received."""

    OLDEST = "oldest"
    NEWEST = "newest"


@dataclass(frozen=True)
class InboxQuery:
    """Which replies to show, in which order, and which page (from 0)."""

    event_id: int | None = None
    list_id: int | None = None
    kind: ReplyKind | None = ReplyKind.HUMAN  # None: every kind
    state: State = State.OPEN
    order: Order | None = None  # None: the state's own order (see `sort`)
    page: int = 0

    @property
    def sort(self) -> Order:
        """The order used: replies to handle are a queue, the oldest first; else the newest."""
        if self.order is not None:
            return self.order
        return Order.OLDEST if self.state is State.OPEN else Order.NEWEST


@dataclass(frozen=True)
class ReplyLine:
    """A reply as the inbox shows it, with the invitee and the event when it was matched."""

    id: int
    kind: ReplyKind
    sender: str
    subject: str
    text: str
    handled: bool
    received_at: datetime
    event_id: int | None
    event_title: str | None
    contact_id: int | None
    first_name: str | None
    last_name: str | None
    email: str | None
    organisation: str | None

    @property
    def name(self) -> str:
        """The invitee's name (or address); empty for a reply matched to no invitation."""
        if self.contact_id is None:
            return ""
        return display_name(self.first_name or "", self.last_name or "", self.email or "")

    @property
    def preview(self) -> str:
        """The first lines of the text (blank ones left out), the ones the inbox is read by."""
        return "\n".join(self._text_lines()[:PREVIEW_LINES])[:PREVIEW_CHARS]

    @property
    def has_more(self) -> bool:
        """Whether the text goes on after its preview."""
        return self.preview != "\n".join(self._text_lines())

    def _text_lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]

    @property
    def mailto(self) -> str:
        """A mailto: link answering the sender, the subject prefixed with "Re: " once; every
        character that could end the address or add a header is percent-encoded (RFC 6068)."""
        subject = self.subject if self.subject.lower().startswith("re:") else f"Re: {self.subject}"
        return f"mailto:{quote(self.sender, safe='@')}?subject={quote(subject, safe='')}"


# The columns a line is read from, in ReplyLine's order.
_LINE = (
    Reply.id, Reply.kind, Reply.sender, Reply.subject, Reply.text, Reply.handled,
    Reply.received_at, Event.id, Event.title, Contact.id, Contact.first_name, Contact.last_name,
    Contact.email, Contact.organisation,
)  # fmt: skip
_ORDER = {
    Order.OLDEST: (Reply.received_at, Reply.id),
    Order.NEWEST: (Reply.received_at.desc(), Reply.id.desc()),
}
_STATE = {State.OPEN: False, State.HANDLED: True}


def _scoped(query: Select[*tuple[Any, ...]], asked: InboxQuery) -> Select[*tuple[Any, ...]]:
    """The query kept to the event and the network list asked for."""
    if asked.event_id is not None:
        query = query.where(Invitation.event_id == asked.event_id)
    if asked.list_id is not None:
        query = query.where(
            exists().where(
                InvitationList.invitation_id == Reply.invitation_id,
                InvitationList.list_id == asked.list_id,
            )
        )
    return query


def _lines() -> Select[*tuple[Any, ...]]:
    return (
        select(*_LINE)
        .select_from(Reply)
        .outerjoin(Invitation, Invitation.id == Reply.invitation_id)
        .outerjoin(Event, Event.id == Invitation.event_id)
        .outerjoin(Contact, Contact.id == Invitation.contact_id)
    )


def replies(session: Session, asked: InboxQuery, limit: int | None = PAGE_SIZE) -> list[ReplyLine]:
    """The replies matching `asked`, in its order: its page of `limit` lines (None: all)."""
    query = _scoped(_lines(), asked)
    if asked.kind is not None:
        query = query.where(Reply.kind == asked.kind)
    if asked.state in _STATE:
        query = query.where(Reply.handled.is_(_STATE[asked.state]))
    query = query.order_by(*_ORDER[asked.sort])
    if limit is not None:
        query = query.offset(asked.page * limit).limit(limit)
    return [ReplyLine(*row) for row in session.execute(query)]


def reply_line(session: Session, reply_id: int) -> ReplyLine:
    """One reply as the inbox shows it; NotFound for an unknown id."""
    row = session.execute(_lines().where(Reply.id == reply_id)).first()
    if row is None:
        raise NotFound(f"no reply with id {reply_id}")
    return ReplyLine(*row)


@dataclass(frozen=True)
class InboxCounts:
    """How many replies of each kind are handled or not, within an event and a list."""

    cells: dict[tuple[ReplyKind, bool], int]

    def of(self, kind: ReplyKind | None, state: State) -> int:
        """The replies of `kind` (None: every kind) in `state`."""
        return sum(
            count
            for (k, handled), count in self.cells.items()
            if kind in (None, k) and (state is State.ALL or _STATE[state] == handled)
        )

    def pages(self, asked: InboxQuery) -> int:
        """How many pages the replies `asked` for fill (at least one, empty)."""
        return max(1, -(-self.of(asked.kind, asked.state) // PAGE_SIZE))


def counts(session: Session, asked: InboxQuery) -> InboxCounts:
    """The counts of the replies within the event and the list of `asked`, by kind and state."""
    query = _scoped(
        select(Reply.kind, Reply.handled, func.count())
        .select_from(Reply)
        .outerjoin(Invitation, Invitation.id == Reply.invitation_id)
        .group_by(Reply.kind, Reply.handled),
        asked,
    )
    return InboxCounts({(kind, bool(handled)): n for kind, handled, n in session.execute(query)})


def on_a_page(counted: InboxCounts, asked: InboxQuery) -> InboxQuery:
    """`asked` with its page brought within the pages there are (a page past the last: the
    last)."""
    return replace(asked, page=min(max(asked.page, 0), counted.pages(asked) - 1))


def unhandled_count(session: Session, event_id: int) -> int:
    """How many people's replies to the event's invitations nobody has handled yet."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Reply)
            .join(Invitation, Invitation.id == Reply.invitation_id)
            .where(
                Invitation.event_id == event_id,
                Reply.kind == ReplyKind.HUMAN,
                Reply.handled.is_(False),
            )
        )
        or 0
    )


def mark_handled(session: Session, reply_id: int, handled: bool, actor: str) -> bool:
    """Mark a reply handled (or to handle again), recorded in the audit log under the reply's
    number (an address is personal data the log need not hold); False when it already was.
    NotFound for an unknown id."""
    found = session.execute(
        select(Reply.id, Invitation.event_id)
        .outerjoin(Invitation, Invitation.id == Reply.invitation_id)
        .where(Reply.id == reply_id)
    ).first()
    if found is None:
        raise NotFound(f"no reply with id {reply_id}")
    # One statement decides, so that two people marking the same reply leave one entry.
    changed = session.scalar(
        update(Reply)
        .where(Reply.id == reply_id, Reply.handled.is_not(handled))
        .values(handled=handled)
        .returning(Reply.id)
    )
    if changed is None:
        return False
    action = "reply.handled" if handled else "reply.reopened"
    record(session, actor, action, found.event_id, f"reply {reply_id}")
    return True


@dataclass(frozen=True)
class Choices:
    """What the inbox can be filtered by: events (latest first) and network lists (by name)."""

    events: list[tuple[int, str, datetime]]  # id, title, starts_at
    lists: list[tuple[int, str]]  # id, name

    def has_event(self, event_id: int) -> bool:
        """Whether the event is one of them."""
        return any(event[0] == event_id for event in self.events)

    def has_list(self, list_id: int) -> bool:
        """Whether the list is one of them."""
        return any(found[0] == list_id for found in self.lists)


def choices(session: Session) -> Choices:
    """The events and the network lists the inbox can be filtered by."""
    events = session.execute(
        select(Event.id, Event.title, Event.starts_at).order_by(Event.starts_at.desc())
    )
    lists = session.execute(select(MailingList.id, MailingList.name).order_by(MailingList.name))
    return Choices([(i, title, at) for i, title, at in events], [(i, name) for i, name in lists])
