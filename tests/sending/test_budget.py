"""What sending a batch of emails asks of the database, held under a budget written here: the
number of statements does not grow with the batch. A change that needs more raises the budget in
a commit of its own, with bench/send.py run again."""

from __future__ import annotations

from dataclasses import replace

from service.mail import outbox
from service.mail.backends.file import FileBackend
from service.sending.delivery import deliver
from tests.helpers import published, statements
from tests.mail.conftest import queue_invitations

BATCH = 1000
# Claim (2: the oldest content, then its rows); load the rows, with the suppression check (3);
# the event and its programme (3); then per provider request the outcomes (one executemany when
# each email has its own id, as here; one UPDATE per id a request shares, as SendGrid's), the
# emails' invitations, and one UPDATE of their first send with the funnel's flags (3).
SEND_BUDGET = 8 + 3 * (BATCH // FileBackend.batch_size)


def test_a_send_batch_of_a_thousand_stays_within_its_budget(db, factory, settings, tmp_path):
    ids = queue_invitations(db, factory, BATCH)
    backend = FileBackend(replace(settings, var_dir=tmp_path))
    with published() as tasks, statements(db.engine) as sent:
        with db.transaction() as session:
            claimed = outbox.claim_due(session, BATCH)
        totals = deliver(db, settings, backend, claimed)

    assert sorted(claimed) == sorted(ids)
    assert sum(totals.values()) == BATCH
    assert len(sent) <= SEND_BUDGET, sent
    assert tasks == []
