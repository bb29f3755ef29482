"""What the registration service refuses, and why."""

from __future__ import annotations


class RegistrationError(Exception):
    """A registration step that cannot be taken."""

    code = "registration_error"


class RegistrationClosed(RegistrationError):
    """The event's registration window is not open."""

    code = "registration_closed"


class OfferExpired(RegistrationError):
    """The seat offer's deadline has passed."""

    code = "offer_expired"


class NotAllowed(RegistrationError):
    """The step does not apply to the registration's current state."""

    code = "not_allowed"


class InvalidAnswers(RegistrationError):
    """Answers are missing or wrong; `errors` maps each question key to the reason."""

    code = "invalid_answers"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {reason}" for key, reason in errors.items()))
