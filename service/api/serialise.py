"""JSON shapes of the API's resources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.campaigns.models import Campaign


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def campaign_json(campaign: Campaign, progress: dict[str, int] | None = None) -> dict[str, Any]:
    """A campaign with the names of `POST /campaigns`; `progress`: its outbox rows by status."""
    body: dict[str, Any] = {
        "id": campaign.id,
        "event": campaign.event_id,
        "kind": campaign.kind.value,
        "state": campaign.state.value,
        "lists": list(campaign.lists),
        "segment": campaign.segment,
        "template": campaign.template,
        "subject": campaign.subject,
        "sender_name": campaign.sender_name,
        "send_at": _moment(campaign.send_at),
        "rate": campaign.rate_per_minute,
        "audience_count": campaign.audience_count,
        "created_at": _moment(campaign.created_at),
        "launched_at": _moment(campaign.launched_at),
        "finished_at": _moment(campaign.finished_at),
    }
    if progress is not None:
        body["progress"] = progress
    return body
