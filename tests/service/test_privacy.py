"""A person's rights: everything held about them, and erasure that keeps the suppression and the
events' counts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contacts.imports import import_contacts
from contacts.models import Contact, Membership, SuppressionReason
from contacts.suppression import suppress
from service.db import Base, utcnow
from service.privacy import erase_person, erased_address, person_record
from service.registrations import services
from service.registrations.invitations import find_invitation, invitation_token, invite
from service.registrations.models import Invitation, Registration
from service.registrations.models import RegistrationStatus as S
from service.security import LinkProblem, LinkRefused
from tests.helpers import act, check_counters, statuses

EMAIL = "philomene.quenardel@example.org"
LISTS = (
    "Courriel;Prénom;Nom;Structure;Fonction;Région;Téléphone;Tags;Parrainage\n"
    f"{EMAIL};Philomène;Quénardel;Atelier Quénardel;Trésorière;Bretagne;06 98 76 54 32;"
    "élue, CA;Yvonnick Trégaro\n"
    "voisin@example.org;Paul;Voisin;CRESS Bretagne;;Bretagne;;;\n"
)
# Every piece of the person's text that must be gone after erasure (compared casefolded).
TRACES = ("quénardel", "quenardel", "philomène", "06 98 76 54 32", "trésorière", "trégaro")
QUESTIONS = [
    {"key": "regime", "label": "Régime alimentaire", "kind": "text"},
    {"key": "dejeuner", "label": "Déjeuner", "kind": "yes_no"},
]


def import_lists(db, settings, tmp_path: Path) -> None:
    for name in ("CNCRES", "RTES"):
        path = tmp_path / f"{name}.csv"
        path.write_text(LISTS, encoding="utf-8")
        import_contacts(db, settings, path, name)


def invite_person(db, settings, event_id: int) -> tuple[int, str]:
    with db.transaction() as session:
        invitation = invite(session, settings, event_id, EMAIL.upper())
        return invitation.id, invitation_token(settings, invitation)


def every_text(db) -> str:
    """Every value of every row of every table, as one casefolded text."""
    parts = []
    with db.transaction(write=False) as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                parts.extend(json.dumps(v, default=str, ensure_ascii=False) for v in row)
    return "\n".join(parts).casefold()


def count(db, model) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def past_event_attended(db, settings, factory) -> tuple[int, int]:
    """An event of last month the person registered for and came to."""
    day = (utcnow() - timedelta(days=30)).date().isoformat()
    event_id = factory.event(date=day, title="Rencontre passée", questions=QUESTIONS)
    invitation_id, _ = invite_person(db, settings, event_id)
    with db.transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        services.register(
            session, invitation, {"regime": "Quénardel : sans gluten"}, now=utcnow() - timedelta(40)
        )
        services.mark_attended(session, invitation)
    return event_id, invitation_id


def test_export_person_gives_everything_held(db, settings, factory, tmp_path):
    import_lists(db, settings, tmp_path)
    coming = factory.event(title="Rencontre des PTCE", questions=QUESTIONS)
    invitation_id, _ = invite_person(db, settings, coming)
    act(db, invitation_id, services.register, {"regime": "végétarien", "dejeuner": "oui"})
    declined = factory.event(title="Assemblée générale")
    declined_id, _ = invite_person(db, settings, declined)
    act(db, declined_id, services.decline)

    with db.transaction(write=False) as session:
        record = person_record(session, settings, " Philomene.Quenardel@Example.ORG ")
    assert record is not None
    assert json.loads(json.dumps(record)) == record
    assert record["email"] == EMAIL
    contact = record["contact"]
    assert {k: contact[k] for k in ("first_name", "last_name", "organisation", "role")} == {
        "first_name": "Philomène",
        "last_name": "Quénardel",
        "organisation": "Atelier Quénardel",
        "role": "Trésorière",
    }
    assert (contact["region"], contact["phone"], contact["tags"]) == (
        "Bretagne",
        "06 98 76 54 32",
        ["élue", "CA"],
    )
    assert contact["extra"] == {"Parrainage": "Yvonnick Trégaro"}
    assert [(m["list"], m["source"]) for m in record["memberships"]] == [
        ("CNCRES", "CNCRES.csv"),
        ("RTES", "RTES.csv"),
    ]
    assert [i["event"] for i in record["invitations"]] == [
        "Rencontre des PTCE",
        "Assemblée générale",
    ]
    assert all(i["created_at"] and i["responded_at"] for i in record["invitations"])
    assert record["invitations"][0]["sent_at"] is None
    registrations = {r["event"]: r for r in record["registrations"]}
    assert registrations["Rencontre des PTCE"]["status"] == "confirmed"
    assert registrations["Rencontre des PTCE"]["answers"] == {
        "regime": "végétarien",
        "dejeuner": True,
    }
    assert registrations["Rencontre des PTCE"]["confirmed_at"]
    assert registrations["Assemblée générale"]["status"] == "declined"
    assert registrations["Assemblée générale"]["declined_at"]
    assert record["suppression"] == {"suppressed": False, "reason": None, "since": None}


def test_export_person_of_an_unknown_or_only_suppressed_address(db, settings):
    with db.transaction() as session:
        assert person_record(session, settings, "inconnu@example.org") is None
        suppress(session, settings, "Parti@Example.net", SuppressionReason.UNSUBSCRIBED)
    with db.transaction(write=False) as session:
        record = person_record(session, settings, "parti@example.net")
    assert record is not None
    assert (record["contact"], record["memberships"], record["invitations"]) == (None, [], [])
    assert record["suppression"]["suppressed"] is True
    assert record["suppression"]["reason"] == "unsubscribed"
    assert record["suppression"]["since"]


def test_erase_removes_the_person_keeps_the_counts_and_frees_the_seat(
    db, settings, factory, tmp_path
):
    import_lists(db, settings, tmp_path)
    past, past_invitation = past_event_attended(db, settings, factory)
    coming = factory.event(
        capacity=1, questions=QUESTIONS, registration={"waitlist_policy": "confirm"}
    )
    invitation_id, token = invite_person(db, settings, coming)
    act(db, invitation_id, services.register, {"regime": "Allergie, voir avec Philomène"})
    first, second = factory.invitees(coming, 2)
    act(db, first.invitation_id, services.register, {})
    act(db, second.invitation_id, services.register, {})
    past_before = statuses(db, past)
    assert check_counters(db, coming).waitlist_count == 2
    assert TRACES[0] in every_text(db)
    contacts_before, registrations_before = count(db, Contact), count(db, Registration)

    with db.transaction() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.email == EMAIL))
        assert erase_person(session, settings, EMAIL.title()) is True

    # The seat went to the first person waiting; the counters match the registrations.
    assert statuses(db, coming) == {
        invitation_id: S.CANCELLED,
        first.invitation_id: S.CONFIRMED,
        second.invitation_id: S.WAITLISTED,
    }
    event = check_counters(db, coming)
    assert (event.seats_held, event.waitlist_count) == (1, 1)
    # The past event keeps its attendee, anonymous.
    assert statuses(db, past) == past_before == {past_invitation: S.ATTENDED}
    assert check_counters(db, past).seats_held == 1
    assert (count(db, Contact), count(db, Registration)) == (contacts_before, registrations_before)
    with db.transaction(write=False) as session:
        erased = session.get(Contact, contact_id)
        assert erased is not None
        assert erased.email == erased_address(contact_id) == f"erased-{contact_id}@erased.invalid"
        assert (erased.first_name, erased.last_name, erased.organisation, erased.phone) == (
            "",
            "",
            "",
            "",
        )
        assert (erased.tags, erased.extra, erased.display_name) == ([], {}, erased.email)
        registrations = session.scalars(
            select(Registration)
            .join(Invitation, Invitation.id == Registration.invitation_id)
            .where(Invitation.contact_id == contact_id)
        ).all()
        assert [r.answers for r in registrations] == [{}, {}]
        assert {r.end_reason for r in registrations} == {"", "erased"}
        assert session.scalar(select(func.count()).where(Membership.contact_id == contact_id)) == 0
        # The personal link no longer opens anything.
        with pytest.raises(LinkRefused) as refused:
            find_invitation(session, settings, token)
        assert refused.value.problem is LinkProblem.INVALID
        record = person_record(session, settings, EMAIL)
    assert record is not None
    assert record["contact"] is None
    assert record["suppression"]["reason"] == "erased"
    text = every_text(db)
    for trace in (EMAIL, *TRACES):
        assert trace.casefold() not in text, trace
    assert "voisin@example.org" in text  # the neighbour on the same lists is untouched
    assert count(db, Membership) == 2

    # The next import of the lists does not bring the person back.
    again = import_contacts(db, settings, tmp_path / "CNCRES.csv", "CNCRES")
    assert (again.suppressed, again.created, again.unchanged) == (1, 0, 1)
    assert count(db, Contact) == contacts_before
    assert EMAIL not in every_text(db)


def test_erase_of_a_waitlisted_person_gives_back_the_place(db, settings, factory):
    event_id = factory.event(capacity=1)
    (holder,) = factory.invitees(event_id, 1)
    act(db, holder.invitation_id, services.register, {})
    invitation_id, _ = invite_person(db, settings, event_id)
    assert act(db, invitation_id, services.register, {}) is S.WAITLISTED
    with db.transaction() as session:
        assert erase_person(session, settings, EMAIL)
    assert statuses(db, event_id) == {holder.invitation_id: S.CONFIRMED, invitation_id: S.CANCELLED}
    event = check_counters(db, event_id)
    assert (event.seats_held, event.waitlist_count) == (1, 0)


def test_erase_keeps_an_earlier_suppression_reason_and_suppresses_unknown_addresses(
    db, settings, tmp_path
):
    import_lists(db, settings, tmp_path)
    with db.transaction() as session:
        suppress(session, settings, EMAIL, SuppressionReason.HARD_BOUNCE)
    with db.transaction() as session:
        assert erase_person(session, settings, EMAIL) is True
        assert erase_person(session, settings, "jamais.vu@example.net") is False
    with db.transaction(write=False) as session:
        assert person_record(session, settings, EMAIL)["suppression"]["reason"] == "hard_bounce"
        unknown = person_record(session, settings, "jamais.vu@example.net")
        assert unknown["suppression"]["reason"] == "erased"
    again = import_contacts(db, settings, tmp_path / "CNCRES.csv", "CNCRES")
    assert (again.suppressed, again.created) == (1, 0)
