"""One page of a campaign's audience written in a few set-based statements: the invitations
it lacks, the lists each person came through, and one outbox row each (suppressed addresses
recorded as such). Each statement names the page's contacts once, as an array on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import JSON, Integer, String, case, cast, literal, select, text
from sqlalchemy.orm import Session

from contacts.models import Contact, Membership
from contacts.suppression import suppressed_among
from service.campaigns.models import Campaign, CampaignKind, InvitationList
from service.config import Settings
from service.db import among, insert_ignoring_duplicates, utcnow
from service.mail.models import Message, MessageStatus
from service.registrations.models import Invitation
from service.security import new_public_id

Page = Sequence[tuple[int, str, str]]  # (contact id, address, language)


def write_page(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    list_ids: list[int],
    page: Page,
    held: bool = False,
) -> None:
    """Invitations, attribution and outbox rows for one page (`held` back while the campaign is
    paused); a second run adds nothing."""
    contact_ids = [contact_id for contact_id, _, _ in page]
    if campaign.kind is CampaignKind.INVITATION:
        _invite(session, campaign, contact_ids)
    if list_ids:
        _attribute(session, campaign, list_ids, contact_ids)
    blocked = suppressed_among(session, settings, [email for _, email, _ in page])
    blocked_ids = [contact_id for contact_id, email, _ in page if email in blocked]
    _queue(session, campaign, contact_ids, blocked_ids, held)


def _invite(session: Session, campaign: Campaign, contact_ids: list[int]) -> None:
    now = utcnow()
    public_ids = [new_public_id() for _ in contact_ids]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "INSERT INTO invitation"
                " (event_id, contact_id, public_id, token_version, created_at)"
                " SELECT :event_id, page.contact_id, page.public_id, 1, :now"
                " FROM unnest(CAST(:contact_ids AS integer[]), CAST(:public_ids AS text[]))"
                " AS page (contact_id, public_id)"
                " ON CONFLICT (event_id, contact_id) DO NOTHING"
            ),
            {"event_id": campaign.event_id, "now": now, "contact_ids": contact_ids,
             "public_ids": public_ids},
        )  # fmt: skip
        return
    session.execute(
        insert_ignoring_duplicates(session, Invitation, Invitation.event_id, Invitation.contact_id),
        [
            {"event_id": campaign.event_id, "contact_id": contact_id, "public_id": public_id,
             "token_version": 1, "created_at": now}
            for contact_id, public_id in zip(contact_ids, public_ids, strict=True)
        ],
    )  # fmt: skip


def _attribute(
    session: Session, campaign: Campaign, list_ids: list[int], contact_ids: list[int]
) -> None:
    """Every campaign list each invited person is on (on three lists: counted in each)."""
    pairs = (
        select(Invitation.id, Membership.list_id, literal(campaign.id, Integer))
        .join(Membership, Membership.contact_id == Invitation.contact_id)
        .where(
            Invitation.event_id == campaign.event_id,
            among(session, Invitation.contact_id, contact_ids, "page_contacts"),
            Membership.list_id.in_(list_ids),
        )
    )
    statement = insert_ignoring_duplicates(
        session, InvitationList, InvitationList.invitation_id, InvitationList.list_id
    ).from_select(["invitation_id", "list_id", "campaign_id"], pairs)
    session.execute(statement)


def _queue(
    session: Session,
    campaign: Campaign,
    contact_ids: list[int],
    blocked_ids: list[int],
    held: bool,
) -> None:
    """One outbox row per person, keyed (campaign, contact): queued, or suppressed."""
    now = utcnow()
    status = case(
        (Contact.id.in_(blocked_ids), MessageStatus.SUPPRESSED.value),
        else_=MessageStatus.QUEUED.value,
    ) if blocked_ids else literal(MessageStatus.QUEUED.value)  # fmt: skip
    rows = (
        select(
            literal(f"campaign:{campaign.id}:contact:") + cast(Contact.id, String),
            literal(campaign.template),
            Contact.language,
            literal(campaign.event_id, Integer),
            Contact.id,
            Invitation.id,
            literal(campaign.id, Integer),
            literal(campaign.extra, JSON),
            status,
            literal(0, Integer),
            literal(""),
            literal(""),
            literal(now, Message.created_at.type),
            literal(now, Message.due_at.type),
            literal(held),
        )
        .select_from(Contact)
        .outerjoin(
            Invitation,
            (Invitation.contact_id == Contact.id) & (Invitation.event_id == campaign.event_id),
        )
        .where(among(session, Contact.id, contact_ids, "page_ids"))
    )
    columns = ["key", "template", "language", "event_id", "contact_id", "invitation_id",
               "campaign_id", "extra", "status", "attempts", "last_error", "provider_id",
               "created_at", "due_at", "held"]  # fmt: skip
    session.execute(
        insert_ignoring_duplicates(session, Message, Message.key).from_select(columns, rows)
    )
