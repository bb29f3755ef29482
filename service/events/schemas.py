"""The shape of an event as organisers write it (YAML or JSON), checked field by field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from service.events.colours import checked_colour
from service.events.models import Event, Forwarding, QuestionKind, SpeakerRole, WaitlistPolicy
from service.text import OneLine, Prose

TIME_PATTERN = re.compile(r"^\s*(\d{1,2})\s*[h:]\s*(\d{2})?\s*$")
RFC3339_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")


def parse_clock(value: Any) -> time:
    """'14h30', '14:30', '14h' → time(14, 30); RFC 3339 as well ('14:30:00', '12:30:00Z',
    '14:30:00+02:00': then the time of day at that offset). YAML 1.1 reads an unquoted 14:30
    as 870 minutes."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    if isinstance(value, str) and RFC3339_TIME.match(value):
        return time.fromisoformat(value)
    match = TIME_PATTERN.match(str(value))
    if not match:
        raise ValueError(f"expected a time such as '14:30' or '14h30', got {value!r}")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"no such time: {value!r}")
    return time(hour, minute)


Clock = Annotated[
    time,
    Field(description="Local time, '14:30' or '14h30', or RFC 3339 ('14:30:00+02:00')"),
]
Text = Annotated[OneLine, Field(max_length=300)]


class Strict(BaseModel):
    """Refuses unknown fields, so that a typo is reported rather than ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SpeakerIn(Strict):
    """A speaker of a programme session."""

    name: Text = Field(min_length=1)
    function: Text = ""
    organisation: Text = ""
    role: SpeakerRole = SpeakerRole.INTERVENTION


class SessionIn(Strict):
    """A timed part of the programme; times are local, on the event's day."""

    starts: Clock
    ends: Clock | None = None
    title: OneLine = Field(min_length=1, max_length=500)
    description: Prose = ""
    speakers: list[SpeakerIn] = []

    _clocks = field_validator("starts", "ends", mode="before")(
        lambda cls, v: None if v is None else parse_clock(v)
    )


class QuestionIn(Strict):
    """A question asked at registration."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    label: OneLine = Field(min_length=1, max_length=500)
    label_en: OneLine = Field("", max_length=500)
    kind: QuestionKind = QuestionKind.YES_NO
    choices: list[Text] = []
    choices_en: list[Text] = Field(
        default=[],
        description="The choices in English, one per choice in the same order; empty: none",
    )
    required: bool = False

    @field_validator("choices_en")
    @classmethod
    def _choices_en_match_choices(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # A field validator rather than the model's: its refusal then names `choices_en`; the
        # errors' types are what the back office's form says in the page's language.
        if not value or "kind" not in info.data or "choices" not in info.data:
            return value  # nothing to match, or the kind or choices are refused already
        if info.data["kind"] is not QuestionKind.CHOICE:
            raise PydanticCustomError(
                "choices_en_without_choice", "only a 'choice' question has options"
            )
        expected, given = len(info.data["choices"]), len(value)
        if given != expected:
            raise PydanticCustomError(
                "choices_en_count",
                "give one English option per French option ({expected} expected, {given} given)",
                {"expected": expected, "given": given},
            )
        return value

    @model_validator(mode="after")
    def _choices_fit_kind(self) -> QuestionIn:
        if self.kind is QuestionKind.CHOICE and len(self.choices) < 2:
            raise ValueError("a 'choice' question needs at least two choices")
        return self


class VenueIn(Strict):
    """Where the event takes place."""

    name: Text = Field(min_length=1)
    address: OneLine = Field(min_length=1, max_length=500)


class OrganiserIn(Strict):
    """Who invitees can contact, and the colour of their pages and emails."""

    name: Text = ""
    email: EmailStr | None = None
    phone: OneLine = Field(default="", max_length=50)
    colour: str = Field(
        default="", description="#rrggbb, readable with white (4.5:1); empty: Convier's"
    )

    _colour = field_validator("colour")(lambda cls, v: checked_colour(v))


class RegistrationIn(Strict):
    """The registration window and what the waitlist does when a seat frees up."""

    opens_at: datetime | None = None
    closes_at: datetime | None = None
    waitlist_policy: WaitlistPolicy = WaitlistPolicy.OFFER
    claim_window_hours: int = Field(default=48, ge=1, le=24 * 30)
    forwarding: Forwarding = Forwarding.BOUND
    forward_limit: int = Field(
        default=3, ge=0, le=20, description="Colleagues one link may invite (0: none)"
    )


class EventIn(Strict):
    """An event as an organiser describes it; naive dates and times are in the event's time zone."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,119}$")
    title: OneLine = Field(min_length=1, max_length=300)
    subtitle: Text = ""
    description: Prose = Field("", max_length=20_000)
    date: date
    starts: Clock
    ends: Clock
    venue: VenueIn
    capacity: int = Field(ge=0, le=1_000_000)
    registration: RegistrationIn = RegistrationIn()
    organiser: OrganiserIn = OrganiserIn()
    programme: list[SessionIn] = []
    questions: list[QuestionIn] = []

    _clocks = field_validator("starts", "ends", mode="before")(lambda cls, v: parse_clock(v))

    @model_validator(mode="after")
    def _consistent(self) -> EventIn:
        if (self.starts.tzinfo is None) != (self.ends.tzinfo is None):
            raise ValueError("ends: give starts and ends both with an offset, or both without")
        if self.at(self.ends, UTC) <= self.at(self.starts, UTC):
            raise ValueError("ends: the event must end after it starts")
        keys = [q.key for q in self.questions]
        if len(keys) != len(set(keys)):
            raise ValueError("questions: each key must be unique")
        window = self.registration
        if window.opens_at and window.closes_at and window.closes_at <= window.opens_at:
            raise ValueError("registration.closes_at: must come after registration.opens_at")
        return self

    def at(self, clock: time, tz: Any) -> datetime:
        """The aware instant of a time on the event's day: local, unless it has its own offset."""
        return datetime.combine(self.date, clock, tzinfo=clock.tzinfo or tz)

    def end_of(self, session: SessionIn, tz: Any) -> datetime | None:
        """The end of a session, or None when the programme leaves it open."""
        if session.ends is None:
            return None
        end = self.at(session.ends, tz)
        return end if end > self.at(session.starts, tz) else end + timedelta(days=1)


def describe_errors(error: ValidationError) -> list[str]:
    """One line per problem, naming the field by its path: `programme.2.starts: …`."""
    lines = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "(document)"
        lines.append(f"{path}: {item['msg']}")
    return lines


def _clock(value: datetime, tz: Any) -> str:
    return value.astimezone(tz).strftime("%H:%M")


def _local(value: datetime | None, tz: Any) -> str | None:
    return value.astimezone(tz).replace(tzinfo=None).isoformat() if value else None


def event_spec(event: Event, tz: Any) -> dict[str, Any]:
    """The event as an organiser would write it (EventIn's shape, local dates and times): what
    an edit starts from, and what a partial change is laid over."""
    return {
        "slug": event.slug,
        "title": event.title,
        "subtitle": event.subtitle,
        "description": event.description,
        "date": event.starts_at.astimezone(tz).date().isoformat(),
        "starts": _clock(event.starts_at, tz),
        "ends": _clock(event.ends_at, tz),
        "venue": {"name": event.venue_name, "address": event.venue_address},
        "capacity": event.capacity,
        "registration": {
            "opens_at": _local(event.registration_opens_at, tz),
            "closes_at": _local(event.registration_closes_at, tz),
            "waitlist_policy": event.waitlist_policy.value,
            "claim_window_hours": event.claim_window_hours,
            "forwarding": event.forwarding.value,
            "forward_limit": event.forward_limit,
        },
        "organiser": {
            "name": event.organiser_name,
            "email": event.organiser_email or None,
            "phone": event.organiser_phone,
            "colour": event.organiser_colour,
        },
        "programme": [
            {
                "starts": _clock(item.starts_at, tz),
                "ends": _clock(item.ends_at, tz) if item.ends_at else None,
                "title": item.title,
                "description": item.description,
                "speakers": [
                    {
                        "name": p.name,
                        "function": p.function,
                        "organisation": p.organisation,
                        "role": p.role.value,
                    }
                    for p in item.speakers
                ],
            }
            for item in event.sessions
        ],
        "questions": [
            {
                "key": q.key,
                "label": q.label,
                "label_en": q.label_en,
                "kind": q.kind.value,
                "choices": list(q.choices),
                "choices_en": list(q.choices_en),
                "required": q.required,
            }
            for q in event.questions
        ],
    }


def event_json(event: Event, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """An event as the API and `convier event show --format json` give it."""
    body: dict[str, Any] = {
        "id": event.id,
        "slug": event.slug,
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "venue": {"name": event.venue_name, "address": event.venue_address},
        "capacity": event.capacity,
        "waitlist_policy": event.waitlist_policy.value,
        "claim_window_hours": event.claim_window_hours,
        "registration_opens_at": event.registration_opens_at.isoformat()
        if event.registration_opens_at
        else None,
        "registration_closes_at": event.closes_at.isoformat(),
    }
    if counts is not None:
        body["counts"] = counts
    return body
