"""Every model, imported in one place so that the metadata knows all tables."""

from contacts.models import Contact, MailingList, Membership, Segment, Suppression
from service.accounts.models import User, UserEvent
from service.api.models import ApiToken
from service.audit.models import AuditEntry
from service.campaigns.models import Campaign, CampaignRule, InvitationList
from service.events.models import Event, ProgrammeSession, Question, Speaker
from service.mail.models import Message
from service.registrations.models import Invitation, Registration
from service.tracking.models import ProviderEvent, Reply, ReportLink, WebhookBatch

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Campaign",
    "CampaignRule",
    "Contact",
    "Event",
    "Invitation",
    "InvitationList",
    "MailingList",
    "Membership",
    "Message",
    "ProgrammeSession",
    "ProviderEvent",
    "Question",
    "Registration",
    "Reply",
    "ReportLink",
    "Segment",
    "Speaker",
    "Suppression",
    "User",
    "UserEvent",
    "WebhookBatch",
]
