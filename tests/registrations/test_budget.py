"""What one registration click asks of the database and the broker, held under a budget.

The click is the registration rush's unit (bench/registration_rush.py): the page, the POST, and
the page the browser is sent back to. A change that needs more raises the budget here, in a
commit of its own, with the benchmark run again and its result in bench/RESULTS.md.
"""

from __future__ import annotations

from service.mail.dispatch import flush_handoff
from service.queue import SEND_TASK
from tests.helpers import published, statements
from tests.registrations.clients import CSRF

# SELECT of the link (person, registration, counters) — the event comes from the process's copy.
PAGE_BUDGET = 1
# SELECT of the link; UPDATE of the event's counters (the seat); INSERT of the registration;
# UPDATE of the invitation's first answer; INSERT of the confirmation's outbox row.
REGISTER_BUDGET = 5
# One send task for the confirmation, whatever the number of registrations around it.
PUBLISH_BUDGET = 1
LUNCH = {"key": "lunch", "kind": "yes_no", "label": "Déjeuner sur place"}


def test_a_registration_click_stays_within_its_budget(db, factory, app):
    event_id = factory.event(capacity=1, questions=[LUNCH])
    first, person = factory.invitees(event_id, 2)
    engine = app.extensions["convier.db"].engine
    seated = app.test_client()
    page = seated.get(f"/r/{first.token}")  # the event is now read: once per process
    seated.post(f"/r/{first.token}/register", data={"csrf_token": CSRF.search(page.text)[1]})
    assert flush_handoff()
    browser = app.test_client()

    with published() as tasks:
        with statements(engine) as shown:
            page = browser.get(f"/r/{person.token}")
        with statements(engine) as registered:
            answer = browser.post(
                f"/r/{person.token}/register",
                data={"csrf_token": CSRF.search(page.text)[1], "q_lunch": "yes"},
            )
        with statements(engine) as shown_again:
            again = browser.get(answer.location)
        assert flush_handoff()

    assert answer.status_code == 303
    assert "en position 1" in again.text  # waitlisted: the page's one statement counts the rank
    assert len(shown) <= PAGE_BUDGET, shown
    assert len(registered) <= REGISTER_BUDGET, registered
    assert len(shown_again) <= PAGE_BUDGET, shown_again
    assert tasks == [SEND_TASK] * PUBLISH_BUDGET
