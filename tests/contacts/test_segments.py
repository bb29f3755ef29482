"""Segments: filters over lists, tags, region, organisation and event state, counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from contacts.imports import import_contacts
from contacts.segments import SegmentRules, count, load_rules, save_segment
from service.db import utcnow
from service.errors import NotFound
from service.registrations import services
from service.registrations.invitations import invite
from service.registrations.queries import contact_event_state

LIST_A = "email;prénom;nom;structure;région;tags\n" + "\n".join(
    [
        "a1@example.org;Ana;Un;CRESS Bretagne;Bretagne;élu, PTCE",
        "a2@example.org;Bo;Deux;CRESS Bretagne;Bretagne;salarié",
        "a3@example.org;Cy;Trois;SCIC Tetris;Provence;PTCE",
    ]
)
LIST_B = "email;nom;région\na3@example.org;Trois;Provence\nb1@example.org;Quatre;Bretagne\n"


@pytest.fixture
def lists(db, settings, tmp_path):
    for name, text in (("A", LIST_A), ("B", LIST_B)):
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        import_contacts(db, settings, path, name)


def n(db, **rules) -> int:
    with db.transaction(write=False) as session:
        return count(session, SegmentRules(**rules), contact_event_state)


def test_filters_combine_and_values_are_alternatives(db, lists):
    assert n(db) == 4
    assert n(db, lists=["A"]) == 3
    assert n(db, lists=["A", "B"]) == 4
    assert n(db, lists=["B"], regions=["bretagne"]) == 1
    assert n(db, organisations=["cress bretagne"]) == 2
    assert n(db, tags=["PTCE"]) == 2
    assert n(db, tags=["ptc"]) == 0
    assert n(db, tags=["élu", "salarié"]) == 2


def test_event_states(db, settings, lists, factory):
    event_id = factory.event(capacity=1)
    with db.transaction() as session:
        first = invite(session, settings, event_id, "a1@example.org")
        second = invite(session, settings, event_id, "a2@example.org")
        invite(session, settings, event_id, "a3@example.org")
        services.register(session, first, {})
        services.register(session, second, {})
    assert n(db, event=event_id, state="invited") == 3
    assert n(db, event=event_id, state="no_answer") == 1
    assert n(db, event=event_id, state="not_invited") == 1
    assert n(db, event=event_id, state="registered") == 2
    assert n(db, event=event_id, state="confirmed") == 1
    assert n(db, event=event_id, state="waitlisted") == 1
    assert n(db, lists=["B"], event=event_id, state="no_answer") == 1


def test_attended_and_no_show_states_after_the_door(db, settings, lists, factory):
    past = factory.event(date=(utcnow() - timedelta(days=1)).date().isoformat())
    coming = factory.event()
    with db.transaction() as session:
        people = [invite(session, settings, past, f"a{i}@example.org") for i in (1, 2, 3)]
        for person in people:
            services.register(session, person, {}, now=utcnow() - timedelta(days=3))
        services.mark_attended(session, people[0])
        later = invite(session, settings, coming, "a1@example.org")
        services.register(session, later, {})
    assert n(db, event=past, state="attended") == 1
    assert n(db, event=past, state="no_show") == 2
    assert n(db, event=past, state="confirmed") == 3  # whether they came or not
    assert n(db, lists=["B"], event=past, state="no_show") == 1  # a3 is on both lists
    # Before the start a confirmed person may still come: nobody is absent yet.
    assert n(db, event=coming, state="confirmed") == 1
    assert n(db, event=coming, state="no_show") == 0


def test_saved_segment_round_trips_and_bad_rules_are_named(db, lists):
    with db.transaction() as session:
        save_segment(session, "bretons", SegmentRules(regions=["Bretagne"]))
    with db.transaction(write=False) as session:
        assert count(session, load_rules(session, "bretons"), contact_event_state) == 3
        with pytest.raises(NotFound) as error:
            load_rules(session, "x")
        assert error.value.fields == {"segment": "no segment called 'x'"}
    with pytest.raises(ValidationError, match="state"):
        SegmentRules(state="invited")
    with pytest.raises(ValidationError, match="colour"):
        SegmentRules(colour="blue")
