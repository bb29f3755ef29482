"""The back office's campaign pages: the campaigns, the composer, a campaign's live progress."""

from __future__ import annotations

from service.accounts.roles import Can
from service.accounts.web import requires
from service.manage.routes import manage


@manage.get("/campaigns")
@requires(Can.SEE_CONTACTS)
def campaigns() -> str:
    """Every campaign, newest first."""
    return ""
