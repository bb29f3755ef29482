"""What the registration services refuse, and why (a family of `service.errors`)."""

from __future__ import annotations

from service.errors import Conflict, DomainError, Invalid


class RegistrationClosed(Conflict):
    """The event's registration window is not open."""

    code = "registration_closed"


class OfferExpired(Conflict):
    """The seat offer's deadline has passed."""

    code = "offer_expired"


class WrongState(Conflict):
    """The step does not apply to the registration's current state."""

    code = "wrong_state"


class InvalidAnswers(Invalid):
    """Answers are missing or wrong; `fields` maps each question key (or name field of the
    registration form) to the reason."""

    def __init__(self, errors: dict[str, str]):
        message = "; ".join(f"{key}: {reason}" for key, reason in errors.items())
        DomainError.__init__(self, message, fields=dict(errors))
