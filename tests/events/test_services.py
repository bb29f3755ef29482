"""An event's questions keep their English options through every door's round trip: stored as
described, written back by `event_spec` (what `convier event export` prints and the API patches),
and a change of them alone is a change of the questions."""

from __future__ import annotations

from sqlalchemy import select

from service.events.models import Event, Question
from service.events.schemas import EventIn, event_spec
from service.events.services import apply_spec
from tests.factories import event_spec as spec_of

STRUCTURE = {"key": "structure", "label": "Vous venez au titre de", "kind": "choice",
             "choices": ["Collectivité", "Réseau", "Autre"],
             "choices_en": ["Local authority", "Network", "Other"]}  # fmt: skip
LUNCH = {"key": "lunch", "label": "Déjeuner sur place", "kind": "yes_no"}


def stored_choices(db, event_id: int) -> dict[str, tuple[list[str], list[str]]]:
    with db.transaction(write=False) as session:
        questions = session.scalars(select(Question).where(Question.event_id == event_id))
        return {q.key: (q.choices, q.choices_en) for q in questions}


def test_english_options_are_stored_as_described(db, factory):
    event_id = factory.event(questions=[STRUCTURE, LUNCH])
    assert stored_choices(db, event_id) == {
        "structure": (["Collectivité", "Réseau", "Autre"], ["Local authority", "Network", "Other"]),
        "lunch": ([], []),
    }


def test_the_description_written_back_holds_the_english_options(db, factory, settings):
    event_id = factory.event(questions=[STRUCTURE, LUNCH])
    with db.transaction(write=False) as session:
        written = event_spec(session.get_one(Event, event_id), settings.tz)
    assert [q["choices_en"] for q in written["questions"]] == [STRUCTURE["choices_en"], []]
    again = EventIn.model_validate(written)
    assert again.questions[0].choices_en == STRUCTURE["choices_en"]


def test_changing_only_the_english_options_changes_the_questions(db, factory, settings):
    event_id = factory.event(questions=[STRUCTURE])
    renamed = {**STRUCTURE, "choices_en": ["Local authority", "Networks", "Other"]}
    with db.transaction() as session:
        event = session.get_one(Event, event_id)
        spec = spec_of(slug=event.slug, questions=[renamed])
        assert apply_spec(session, event, spec, settings.tz) == {"questions"}
    assert stored_choices(db, event_id)["structure"][1] == ["Local authority", "Networks", "Other"]


def test_the_same_english_options_change_nothing(db, factory, settings):
    event_id = factory.event(questions=[STRUCTURE])
    with db.transaction() as session:
        event = session.get_one(Event, event_id)
        spec = EventIn.model_validate(event_spec(event, settings.tz))
        assert apply_spec(session, event, spec, settings.tz) == set()
