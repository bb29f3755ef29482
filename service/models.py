"""Every model, imported in one place so that the metadata knows all tables."""

from contacts.models import Contact
from service.api.models import ApiToken
from service.events.models import Event, ProgrammeSession, Question, Speaker
from service.registrations.models import Invitation, Registration

__all__ = [
    "ApiToken",
    "Contact",
    "Event",
    "Invitation",
    "ProgrammeSession",
    "Question",
    "Registration",
    "Speaker",
]
