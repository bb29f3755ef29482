"""The names of the workers' tasks and of their queues: the web process and the CLI send tasks by
name, so that neither imports `tasks/`; the workers declare them under the same names.

Two queues, so that a campaign of 100,000 emails never delays a confirmation: `interactive`
(one email a person waits for, webhook batches, the tick) and `bulk` (campaign builds and
drains). Each can have workers of its own (`convier worker --queues bulk`)."""

from __future__ import annotations

SEND_TASK = "convier.mail.send"
DRAIN_TASK = "convier.mail.drain"
BUILD_TASK = "convier.campaign.build"
EVENTS_TASK = "convier.tracking.events"
TICK_TASK = "convier.tick"
SIGN_IN_TASK = "convier.accounts.sign_in_link"
IMPORT_TASK = "convier.contacts.import"

INTERACTIVE = "interactive"
BULK = "bulk"
QUEUES = (INTERACTIVE, BULK)
ROUTES = {
    SEND_TASK: INTERACTIVE,
    EVENTS_TASK: INTERACTIVE,
    TICK_TASK: INTERACTIVE,
    SIGN_IN_TASK: INTERACTIVE,
    BUILD_TASK: BULK,
    IMPORT_TASK: BULK,  # an import of 100,000 rows takes seconds: never before a confirmation
    DRAIN_TASK: BULK,
}
# A drain hands over to a fresh task after this long, so that one task never holds a worker
# for a whole campaign and a pause or a new deploy takes effect quickly.
DRAIN_BUDGET_SECONDS = 20.0
