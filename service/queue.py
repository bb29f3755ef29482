"""The names of the workers' tasks: the web process and the CLI send them by name, so that
neither imports `tasks/`; the workers declare them under the same names."""

from __future__ import annotations

SEND_TASK = "convier.mail.send"
DRAIN_TASK = "convier.mail.drain"
BUILD_TASK = "convier.campaign.build"
EVENTS_TASK = "convier.tracking.events"
TICK_TASK = "convier.tick"
