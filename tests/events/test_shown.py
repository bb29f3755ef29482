"""The event as invitees are shown it comes from a per-process copy keyed by its content
version: every edit of what they are shown must raise the version, and so reach the page at once;
the live counters never come from the copy."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import DetachedInstanceError

from service.events.models import Event, ProgrammeSession, Question, QuestionKind, Speaker
from service.events.shown import shown_event
from service.registrations import services
from tests.helpers import act

QUESTION = {"key": "lunch", "kind": "yes_no", "label": "Déjeuner sur place"}


def version(db, event_id: int) -> int:
    with db.transaction(write=False) as session:
        return session.get_one(Event, event_id).content_version


def edit(db, event_id: int, change) -> None:
    with db.transaction() as session:
        change(session, session.get_one(Event, event_id))


EDITS = {
    "title": lambda session, event: setattr(event, "title", "Rencontre déplacée"),
    "question label": lambda session, event: setattr(
        event.questions[0], "label", "Rencontre déplacée : déjeunerez-vous ?"
    ),
    "new question": lambda session, event: event.questions.append(
        Question(position=2, key="drink", label="Rencontre déplacée", kind=QuestionKind.YES_NO)
    ),
    "speaker": lambda session, event: setattr(
        event.sessions[0].speakers[0], "name", "Rencontre déplacée"
    ),
    "new session": lambda session, event: event.sessions.append(
        ProgrammeSession(position=2, starts_at=event.starts_at, title="Rencontre déplacée")
    ),
}


@pytest.mark.parametrize("what", EDITS)
def test_an_edit_of_what_invitees_see_reaches_the_page_at_once(db, factory, client, what):
    event_id = factory.event(questions=[QUESTION])
    [person] = factory.invitees(event_id, 1)
    before = client.get(f"/r/{person.token}").text  # the copy is made
    assert "Rencontre déplacée" not in before

    edit(db, event_id, EDITS[what])

    assert version(db, event_id) == 2
    assert "Rencontre déplacée" in client.get(f"/r/{person.token}").text


def test_removing_a_speaker_or_a_question_raises_the_version(db, factory):
    event_id = factory.event(questions=[QUESTION])
    with db.transaction() as session:
        session.delete(session.scalars(select(Speaker)).one())
    assert version(db, event_id) == 2
    edit(db, event_id, lambda session, event: event.questions.clear())
    assert version(db, event_id) == 3


def test_seats_taken_and_a_new_capacity_leave_the_version_alone(db, factory):
    event_id = factory.event(capacity=1)
    people = factory.invitees(event_id, 2)
    for person in people:
        act(db, person.invitation_id, services.register, {})
    with db.transaction() as session:
        services.set_capacity(session, event_id, 5)
    assert version(db, event_id) == 1


def test_the_shared_copy_never_answers_with_stale_counters(db, factory):
    event_id = factory.event(capacity=3)
    with db.transaction(write=False) as session:
        event = session.get_one(Event, event_id)
        copy = shown_event(session, event_id, event.created_at, event.content_version)
    assert copy.title == "Rencontre de test"
    assert [q.key for q in copy.questions] == []
    with pytest.raises(DetachedInstanceError):
        _ = copy.seats_held
