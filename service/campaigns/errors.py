"""What the campaign services refuse, besides invalid fields (`service.errors.Invalid`)."""

from __future__ import annotations

from service.errors import Conflict, NotFound


class CampaignNotFound(NotFound):
    """No campaign has this id."""


class CampaignStateError(Conflict):
    """The campaign's state does not allow this move (launching a sent one, resuming a
    cancelled one…)."""
