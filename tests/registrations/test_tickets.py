"""Ticket codes: short, signed, bound to one registration and one seat, refused when tampered."""

from __future__ import annotations

import base64

import segno
from hypothesis import given
from hypothesis import strategies as st

from service.registrations.tickets import (
    CODE_LENGTH,
    TicketClaim,
    TicketProblem,
    read_ticket,
    spaced,
    ticket_code,
)

KEYS = ["clé actuelle"]


def test_a_code_reads_back_as_its_registration_and_serial():
    code = ticket_code(KEYS, 12, 3456, 2)
    assert len(code) == CODE_LENGTH
    assert code.isalnum()
    assert code.isupper()
    assert read_ticket(KEYS, code) == TicketClaim(12, 3456, 2)
    # What a person types or a scanner sends: spaces around, lower case.
    assert read_ticket(KEYS, f"  {code.lower()}\n") == TicketClaim(12, 3456, 2)


@given(
    event_id=st.integers(1, 2**32 - 1),
    registration_id=st.integers(1, 2**32 - 1),
    serial=st.integers(1, 2**16 - 1),
)
def test_every_registration_has_its_own_code(event_id, registration_id, serial):
    code = ticket_code(KEYS, event_id, registration_id, serial)
    assert read_ticket(KEYS, code) == TicketClaim(event_id, registration_id, serial)
    assert (
        ticket_code(KEYS, event_id, registration_id, serial + 1 if serial < 2**16 - 1 else 1)
        != code
    )


def test_the_code_fits_a_small_qr_code():
    code = segno.make(ticket_code(KEYS, 2**31, 2**31, 9), error="m", micro=False)
    assert (code.mode, code.version) == ("alphanumeric", 2)  # 25 × 25 modules


def test_a_changed_byte_is_a_forgery():
    raw = bytearray(base64.b32decode(ticket_code(KEYS, 1, 7, 1)))
    raw[5] ^= 1  # registration 7 becomes another one, the signature left as it was
    assert read_ticket(KEYS, base64.b32encode(bytes(raw)).decode()) is TicketProblem.FORGED


def test_a_code_signed_with_another_key_is_a_forgery():
    assert read_ticket(KEYS, ticket_code(["une autre clé"], 1, 7, 1)) is TicketProblem.FORGED


def test_codes_signed_with_a_retired_key_still_let_people_in():
    code = ticket_code(["ancienne clé"], 1, 7, 1)
    assert read_ticket(["ancienne clé", "nouvelle clé"], code) == TicketClaim(1, 7, 1)
    assert ticket_code(["ancienne clé", "nouvelle clé"], 1, 7, 1) != code  # signed with the new


def test_what_is_not_a_ticket_says_so():
    for text in ("", "http://127.0.0.1:5000/r/WyJhYmMiLDFd.ZZ.sig", "1" * CODE_LENGTH, "A" * 31):
        assert read_ticket(KEYS, text) is TicketProblem.NOT_A_TICKET, text


def test_the_code_reads_in_groups_of_four():
    assert spaced("ABCDEFGHIJ") == "ABCD EFGH IJ"
