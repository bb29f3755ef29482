"""Mail backends behind one interface; `get_backend(settings)` picks the configured one."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Protocol

from service.config import Settings
from service.mail.envelope import Batch, Outcome


class ProviderUnreachable(Exception):
    """The provider could not be asked whether it accepted a message."""


class Backend(Protocol):
    """Sends batches; never raises for a provider's answer, reports it per recipient."""

    #: How many recipients one `send` call should be given at most.
    batch_size: int

    def send(self, batch: Batch, deadline: float = math.inf) -> list[Outcome]:
        """Send every recipient of `batch`; one Outcome per recipient, in the same order. No
        request starts after `deadline` (epoch seconds): those recipients are UNSENT."""
        ...

    def accepted_message_ids(self, message_ids: Iterable[int]) -> set[int]:
        """Which of these outbox rows the provider accepted, for rows whose answer was lost;
        ProviderUnreachable when it cannot be asked now."""
        ...

    def close(self) -> None:
        """Release connections kept between batches."""
        ...


def get_backend(settings: Settings) -> Backend:
    """The backend named by MAIL_BACKEND."""
    if settings.mail_backend == "sendgrid":
        from service.mail.backends.sendgrid import SendGridBackend

        return SendGridBackend(settings)
    if settings.mail_backend == "smtp":
        from service.mail.backends.smtp import SmtpBackend

        return SmtpBackend(settings)
    from service.mail.backends.file import FileBackend

    return FileBackend(settings)
