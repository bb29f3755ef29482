"""The back office's mailing-list pages: the lists, a list's contacts, a contact."""

from __future__ import annotations

from service.accounts.roles import Can
from service.accounts.web import requires
from service.manage.routes import manage


@manage.get("/lists")
@requires(Can.SEE_CONTACTS)
def lists() -> str:
    """Every mailing list with its size, last import and suppressed count."""
    return ""
