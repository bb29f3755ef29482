"""`convier checkin`: the door from a terminal, run in-process on the test database."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from contacts.models import Contact
from service.audit.models import AuditEntry
from service.checkin.cli import ALREADY_IN, NO_ONE, REFUSED, SEVERAL, fold, matching
from service.cli import main
from service.registrations import services
from service.registrations.models import Invitation, Registration, RegistrationStatus
from service.registrations.organiser import register_by_hand
from service.registrations.tickets import registration_ticket

PEOPLE = {
    "emilie@example.org": ("Émilie Dupré", "Le Labo de l'ESS"),
    "claire@example.org": ("Claire Martin", "RTES"),
    "clara@example.org": ("Clara Martin", ""),
    "anne@example.org": ("Anne Martinez", "COORACE"),
}


def run(*args: str, code: int = 0) -> str:
    result: Result = CliRunner().invoke(main, ["checkin", *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def door(db, factory, settings):
    """An event of 5 seats and its four confirmed people: (event id, ticket by address)."""
    event_id = factory.event(capacity=5)
    with db.transaction() as session:
        for email, (name, organisation) in PEOPLE.items():
            register_by_hand(session, settings, event_id, email, name, "tests")
            session.execute(
                update(Contact).where(Contact.email == email).values(organisation=organisation)
            )
    return event_id, {
        email: registration_ticket(settings, status_of(db, email)) for email in PEOPLE
    }


def status_of(db, email: str) -> Registration:
    with db.transaction(write=False) as session:
        return session.execute(
            select(Registration)
            .join(Invitation, Invitation.id == Registration.invitation_id)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Contact.email == email)
        ).scalar_one()


def test_a_ticket_lets_its_holder_in_once_and_the_second_scan_says_when_and_where(db, door):
    event_id, tickets = door
    code = tickets["emilie@example.org"]
    assert run("--event", str(event_id), code, "--device", "Porte 1") == (
        "Welcome, Émilie Dupré (Le Labo de l'ESS)\n"
    )
    again = run("--event", str(event_id), code.lower(), code=ALREADY_IN)
    who = re.escape("Émilie Dupré (Le Labo de l'ESS)")
    assert re.fullmatch(rf"Already in since \d\d:\d\d \(Europe/Paris\), by Porte 1: {who}\n", again)
    registration = status_of(db, "emilie@example.org")
    assert registration.status is RegistrationStatus.ATTENDED
    assert registration.attended_by == "Porte 1"
    with db.transaction(write=False) as session:
        entries = session.execute(
            select(AuditEntry.actor).where(AuditEntry.action == "registration.checked_in")
        ).all()
    assert entries == [("cli",)]  # the second scan changed nothing


def test_refused_tickets_say_why_in_words(db, factory, settings, door):
    event_id, tickets = door
    assert run("--event", str(event_id), "PAS-UN-BILLET", code=REFUSED) == (
        "Refused: this code is not a ticket\n"
    )
    forged = tickets["claire@example.org"][:-4] + "AAAA"
    assert "Refused: forged ticket" in run("--event", str(event_id), forged, code=REFUSED)
    personal_link = "https://convier.example.org/r/abc.def"
    assert "personal link" in run("--event", str(event_id), personal_link, code=REFUSED)
    other_event = factory.event(capacity=5)
    assert run("--event", str(other_event), tickets["claire@example.org"], code=REFUSED) == (
        "Refused: a ticket for another event\n"
    )
    with db.transaction() as session:
        invitation = session.scalars(
            select(Invitation).join(Contact).where(Contact.email == "clara@example.org")
        ).one()
        services.cancel(session, invitation)
    assert run("--event", str(event_id), tickets["clara@example.org"], code=REFUSED) == (
        "Refused: registration cancelled — Clara Martin\n"
    )
    assert status_of(db, "clara@example.org").status is RegistrationStatus.CANCELLED


def test_a_name_lets_in_the_one_person_it_matches(db, door):
    event_id, _ = door
    assert run("--event", str(event_id), "--name", "  EMILIE  dupre ") == (
        "Welcome, Émilie Dupré (Le Labo de l'ESS)\n"
    )
    # The start of a word is enough; a name matched exactly wins over longer ones.
    assert run("--event", str(event_id), "--name", "clai") == "Welcome, Claire Martin (RTES)\n"
    assert "Already in since" in run(
        "--event", str(event_id), "--name", "Claire Martin", code=ALREADY_IN
    )


def test_a_name_matching_several_people_lists_them_and_lets_no_one_in(db, door):
    event_id, _ = door
    run("--event", str(event_id), "--name", "claire martin")
    listed = run("--event", str(event_id), "--name", "martin", code=SEVERAL)
    assert listed.splitlines() == [
        "3 people match --name 'martin'; give a more precise name:",
        "  Claire Martin (RTES)\tinside",
        "  Clara Martin\texpected",
        "  Anne Martinez (COORACE)\texpected",
    ]
    assert status_of(db, "clara@example.org").status is RegistrationStatus.CONFIRMED
    assert run("--event", str(event_id), "--name", "Dupont", code=NO_ONE) == (
        "No one at this event matches --name 'Dupont'\n"
    )


def test_undo_takes_a_check_in_back_by_ticket_or_name(db, door):
    event_id, tickets = door
    code = tickets["anne@example.org"]
    run("--event", str(event_id), code)
    assert run("--event", str(event_id), code, "--undo") == (
        "Check-in taken back: Anne Martinez (COORACE) is expected again\n"
    )
    assert status_of(db, "anne@example.org").status is RegistrationStatus.CONFIRMED
    assert "registration: not inside" in run("--event", str(event_id), code, "--undo", code=1)
    run("--event", str(event_id), "--name", "anne")
    assert "taken back" in run("--event", str(event_id), "--name", "anne", "--undo")
    assert run("--event", str(event_id), "PAS-UN-BILLET", "--undo", code=REFUSED) == (
        "Refused: this code is not a ticket\n"
    )
    with db.transaction(write=False) as session:
        undone = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "registration.check_in_undone")
        ).all()
    assert undone == ["cli", "cli"]


def test_a_walk_in_is_registered_and_let_in_while_seats_remain(db, door):
    event_id, _ = door
    assert run(
        "--event", str(event_id), "--walk-in", "--name", "Jean Passant",
        "--email", "jean@example.org", "--device", "Accueil",
    ) == "Welcome, Jean Passant\n"  # fmt: skip
    registration = status_of(db, "jean@example.org")
    assert registration.status is RegistrationStatus.ATTENDED
    assert registration.attended_by == "Accueil"
    full = run(
        "--event", str(event_id), "--walk-in", "--name", "Marc Tardif",
        "--email", "marc@example.org", code=1,
    )  # fmt: skip
    assert "capacity: full" in full
    with db.transaction(write=False) as session:
        assert session.scalar(select(Contact).where(Contact.email == "marc@example.org")) is None


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--event", "99", "--name", "x"], "--event"),
        (["--event", "{event}", "--name", "claire", "--device", "  "], "--device"),
        (["--event", "{event}", "--walk-in", "--name", "Jean"], "--email"),
        (["--event", "{event}", "--walk-in", "--email", "jean@example.org"], "--name"),
        (["--event", "{event}", "--walk-in", "--name", "J", "--email", "pas-une-adresse"],
         "--email"),
        (["--event", "{event}", "--name", "claire", "--email", "a@example.org"], "--email"),
        (["--event", "{event}", "--name", " "], "--name"),
        (["--event", "{event}", "ABCD", "--name", "claire"], "TICKET or --name"),
        (["--event", "{event}"], "TICKET code or --name"),
    ],
)  # fmt: skip
def test_bad_input_names_the_parameter_and_changes_nothing(db, door, args, named):
    event_id, _ = door
    result = CliRunner().invoke(
        main, ["checkin", *(a.format(event=event_id) for a in args)], catch_exceptions=False
    )
    assert result.exit_code in (1, 2), result.output
    assert named in result.output
    with db.transaction(write=False) as session:
        states = session.scalars(select(Registration.status)).all()
    assert set(states) == {RegistrationStatus.CONFIRMED}


def test_names_match_without_accents_nor_case():
    tickets = [{"name": n} for n in ("Émilie Dupré", "Emile Durand", "Zoë Œuvray")]
    assert fold("ÉMILIE Dupré") == "emilie dupre"
    assert matching(tickets, "emil") == tickets[:2]
    assert matching(tickets, "DU EMI") == tickets[:2]
    assert matching(tickets, "zoe") == tickets[2:]
    assert matching(tickets, "émile durand") == tickets[1:2]
    assert matching(tickets, "martin") == []
