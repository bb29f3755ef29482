"""Who a campaign writes to: the contacts of its lists (and segment), in the state its kind asks
for with the event, each once whatever the number of lists; read page by page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session

from contacts.models import Contact, MailingList, Membership
from contacts.segments import load_rules, segment_query
from service.campaigns.models import Campaign, CampaignKind
from service.errors import Invalid
from service.registrations.models import Invitation, Registration
from service.registrations.models import RegistrationStatus as S
from service.registrations.queries import contact_event_state

PAGE_SIZE = 5000

# The registration states each kind writes to (kinds not listed look at answers instead).
STATES = {
    CampaignKind.REMINDER: (S.CONFIRMED,),
    CampaignKind.PRACTICAL_INFO: (S.CONFIRMED,),
    CampaignKind.WAITLIST_NOTICE: (S.WAITLISTED,),
    CampaignKind.EVENT_CHANGED: (S.CONFIRMED, S.OFFERED, S.WAITLISTED),
    # Everyone who held a seat; a segment on EventState.ATTENDED or NO_SHOW narrows it to the
    # people who came or to those who did not.
    CampaignKind.THANK_YOU: (S.CONFIRMED, S.ATTENDED),
}


def _kind_filter(campaign: Campaign) -> Any:
    invitation = and_(Invitation.contact_id == Contact.id, Invitation.event_id == campaign.event_id)
    if campaign.kind is CampaignKind.INVITATION:
        # Everyone not yet answered: never invited, or invited without an answer.
        return ~exists().where(invitation, Invitation.responded_at.is_not(None))
    if campaign.kind in (CampaignKind.FOLLOW_UP, CampaignKind.LAST_CALL):
        # Invited (the invitation left) and silent since.
        return exists().where(
            invitation, Invitation.sent_at.is_not(None), Invitation.responded_at.is_(None)
        )
    return exists().where(
        invitation,
        Registration.invitation_id == Invitation.id,
        Registration.status.in_(STATES[campaign.kind]),
    )


def audience_query(session: Session, campaign: Campaign) -> Select[int, str, str]:
    """(contact id, address, language) of everyone the campaign writes to, by contact id."""
    query = select(Contact.id, Contact.email, Contact.language).where(_kind_filter(campaign))
    if campaign.lists:
        query = query.where(
            exists().where(
                Membership.contact_id == Contact.id,
                Membership.list_id == MailingList.id,
                MailingList.name.in_(campaign.lists),
            )
        )
    if campaign.segment:
        members = segment_query(load_rules(session, campaign.segment), contact_event_state)
        query = query.where(Contact.id.in_(members.scalar_subquery()))
    return query.order_by(Contact.id)


def next_page(
    session: Session, campaign: Campaign, after: int, size: int = PAGE_SIZE
) -> list[tuple[int, str, str]]:
    """The next `size` people of the audience whose contact id is above `after` (keyset paging:
    each page is one indexed read, however far into the audience)."""
    rows = session.execute(audience_query(session, campaign).where(Contact.id > after).limit(size))
    return [(row.id, row.email, row.language) for row in rows]


def audience_size(session: Session, campaign: Campaign) -> int:
    """How many distinct people the campaign writes to (each once, whatever their lists),
    suppressed addresses included: they get an outbox row recorded as suppressed."""
    query = audience_query(session, campaign).subquery()
    return int(session.scalar(select(func.count()).select_from(query)) or 0)


def suppressed_count(session: Session, campaign: Campaign) -> int:
    """How many people of the audience are on the suppression list (never mailed): counted on
    the contacts' mark, set with each suppression (the list itself holds only hashes)."""
    query = audience_query(session, campaign).where(Contact.suppressed_at.is_not(None))
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def list_ids(session: Session, names: list[str]) -> dict[str, int]:
    """The ids of the named lists; Invalid naming those that do not exist."""
    rows = session.execute(
        select(MailingList.name, MailingList.id).where(MailingList.name.in_(names))
    )
    found: dict[str, int] = dict(rows.all())
    if missing := [name for name in names if name not in found]:
        raise Invalid("lists", f"no list called {', '.join(map(repr, missing))}")
    return found
