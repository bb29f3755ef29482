"""The audit log: who changed what, through which door (a user's address, "cli", "api:<name>")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.models import AuditEntry

AUDIT_PAGE = 100


def record(
    session: Session, actor: str, action: str, event_id: int | None, subject: str, **details: Any
) -> None:
    """Add an entry to the log, in the transaction of the change it describes: `subject` is what
    was changed (an address), `details` what else is worth keeping."""
    session.add(
        AuditEntry(actor=actor, action=action, event_id=event_id, subject=subject, details=details)
    )  # fmt: skip


def event_history(session: Session, event_id: int, limit: int = AUDIT_PAGE) -> list[AuditEntry]:
    """The latest changes to an event, newest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.event_id == event_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
