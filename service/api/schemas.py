"""Bodies the API accepts, checked field by field; the OpenAPI document shows the same models."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated

from pydantic import BaseModel, Field

from service.campaigns.models import CampaignKind
from service.campaigns.services import CampaignSpec
from service.events.schemas import Strict
from service.text import OneLine

ListName = Annotated[OneLine, Field(min_length=1, max_length=200)]


class CapacityIn(BaseModel):
    """Body of PUT /events/{id}/capacity."""

    capacity: int = Field(ge=0, le=1_000_000)


class InvitationIn(BaseModel):
    """Body of POST /events/{id}/invitations."""

    email: OneLine = Field(min_length=3, max_length=320)
    name: OneLine = Field("", max_length=400)
    language: str = Field("fr", pattern="^(fr|en)$")


class CheckinIn(BaseModel):
    """Body of POST /events/{id}/checkins."""

    code: OneLine = Field(min_length=1, max_length=2000, description="What the scanner read")
    device: OneLine = Field(min_length=1, max_length=80, description="The scanning device's name")


class CampaignIn(Strict):
    """Body of POST /campaigns: the options of `convier campaign create`."""

    event: int = Field(description="The event's id")
    kind: CampaignKind
    lists: list[ListName] = Field([], description="Everyone on any of these lists, once")
    segment: OneLine = Field("", max_length=200, description="A saved segment to match as well")
    template: OneLine = Field("", max_length=64, description="Another email than the kind's own")
    subject: OneLine = Field("", max_length=300, description="Instead of the email's subject")
    sender_name: OneLine = Field("", max_length=300, description="The name shown as sender")
    send_at: datetime | None = Field(
        None, description="ISO 8601; without an offset, in the TIMEZONE setting; null: at launch"
    )
    rate: int | None = Field(None, ge=1, description="At most this many messages per minute")

    def spec(self, tz: tzinfo) -> CampaignSpec:
        """What `services.create` takes; a send time without an offset is read in `tz`."""
        send_at = self.send_at
        if send_at is not None and send_at.tzinfo is None:
            send_at = send_at.replace(tzinfo=tz)
        return CampaignSpec(
            event_id=self.event, kind=self.kind, lists=self.lists, segment=self.segment,
            template=self.template, subject=self.subject, sender_name=self.sender_name,
            send_at=send_at, rate_per_minute=self.rate,
        )  # fmt: skip


class TestSendIn(Strict):
    """Body of POST /campaigns/{id}/test-send."""

    to: OneLine = Field(min_length=3, max_length=320, description="The address that gets the email")
