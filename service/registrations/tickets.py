"""The ticket: a short signed code that proves a seat at the door and does nothing else.

A code is 32 characters of base32 (A–Z, 2–7: QR's compact alphanumeric mode, 25×25 modules) over
20 bytes: the event, the registration, the ticket's serial and 10 bytes of HMAC-SHA256 under a
key derived from the app's signing keys for this use only. The serial changes when a seat is taken
again, so an earlier ticket of the same person is refused; a cancelled registration's ticket is
refused by its state. The code names no one: a ticket found on the floor says nothing about whom.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import struct
from dataclasses import dataclass

import segno

from service.config import Settings
from service.registrations.models import Registration

_LAYOUT = struct.Struct(">IIH")  # event id, registration id, serial
_MAC_BYTES = 10
CODE_LENGTH = 32  # base32 of 20 bytes, no padding


class TicketProblem(enum.StrEnum):
    """Why a scanned code is not a ticket."""

    NOT_A_TICKET = "not_a_ticket"  # another QR code, or the personal link
    FORGED = "forged"  # a ticket's shape, a wrong signature


@dataclass(frozen=True)
class TicketClaim:
    """What a genuine code says: which registration, which of its tickets."""

    event_id: int
    registration_id: int
    serial: int


def _mac(key: str, body: bytes) -> bytes:
    # A key of its own: a ticket's signature can never be replayed as a link's, nor the reverse.
    derived = hashlib.sha256(b"convier.ticket\x00" + key.encode()).digest()
    return hmac.new(derived, body, hashlib.sha256).digest()[:_MAC_BYTES]


def ticket_code(keys: list[str], event_id: int, registration_id: int, serial: int) -> str:
    """The ticket of a registration, signed with the newest of `keys`."""
    body = _LAYOUT.pack(event_id, registration_id, serial)
    return base64.b32encode(body + _mac(keys[-1], body)).decode()


def registration_ticket(settings: Settings, registration: Registration) -> str:
    """The current ticket of a registration."""
    return ticket_code(
        settings.signing_keys, registration.event_id, registration.id, registration.ticket_serial
    )


def read_ticket(keys: list[str], code: str) -> TicketClaim | TicketProblem:
    """What a scanned code claims, or why it is not a ticket; every key is tried (rotation)."""
    cleaned = code.strip().upper()
    if len(cleaned) != CODE_LENGTH:
        return TicketProblem.NOT_A_TICKET
    try:
        raw = base64.b32decode(cleaned)
    except (binascii.Error, ValueError):
        return TicketProblem.NOT_A_TICKET
    body, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    if not any(hmac.compare_digest(mac, _mac(key, body)) for key in reversed(keys)):
        return TicketProblem.FORGED
    return TicketClaim(*_LAYOUT.unpack(body))


def ticket_image(code: str) -> str:
    """The ticket's QR code as an SVG data URI, for a page (the emails attach a PNG)."""
    return str(segno.make(code, error="m", micro=False).svg_data_uri(scale=6, border=4))


def spaced(code: str) -> str:
    """The code in groups of four, for a person to read out or type."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
