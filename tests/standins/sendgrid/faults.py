"""Faults: programmed answers that replace the stand-in's normal answer to a coming request.

Fault   one programmed answer (rate limit, error, drop, late, slow), built in Python or from
        the JSON posted to /_standin/inject.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = ("rate_limit", "error", "drop", "delay", "late")


@dataclass(frozen=True)
class Fault:
    """One programmed answer to a coming Mail Send request, in place of the normal one."""

    kind: str  # one of FAULT_KINDS
    status: int = 0  # for "error"
    message: str = ""  # for "error": the message of SendGrid's error body
    reset_at: int | None = None  # for "rate_limit": X-RateLimit-Reset; None sends no such header
    delay: float = 0.0  # seconds to wait before answering

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            kinds = ", ".join(FAULT_KINDS)
            raise ValueError(f"fault kind must be one of {kinds}, not {self.kind!r}")
        if self.kind == "error" and not 400 <= self.status <= 599:
            raise ValueError(f"an error fault needs a 4xx or 5xx status, not {self.status!r}")

    @classmethod
    def rate_limited(cls, reset_at: int | None = None) -> Fault:
        """A 429; with X-RateLimit-Reset/Limit/Remaining headers when `reset_at` is given."""
        return cls("rate_limit", reset_at=reset_at)

    @classmethod
    def server_error(cls, status: int = 500, message: str = "Internal Server Error") -> Fault:
        """A 5xx answer."""
        return cls("error", status=status, message=message)

    @classmethod
    def bad_request(cls, message: str) -> Fault:
        """A 400 answer with `message`, whatever the request holds."""
        return cls("error", status=400, message=message)

    @classmethod
    def accept_then_drop(cls) -> Fault:
        """Check and record the request as accepted, then close the connection unanswered
        (a request that fails the checks gets its 400)."""
        return cls("drop")

    @classmethod
    def late(cls, seconds: float) -> Fault:
        """Record the request as accepted at once, but answer only after `seconds` (a sender
        that dies meanwhile never learns that its emails left)."""
        return cls("late", delay=seconds)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """The normal answer, after `seconds`."""
        return cls("delay", delay=seconds)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """A fault from its JSON form, as posted to /_standin/inject."""
        known = {"kind", "status", "message", "reset_at", "delay"}
        if unknown := set(data) - known:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**data)
