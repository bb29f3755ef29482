"""Figures kept a few seconds per process: shared while nothing they count has changed, counted
again at once after a registration, a reply or a provider's report, and after SECONDS anyway."""

from __future__ import annotations

from service.db import utcnow
from service.registrations import services as registrations
from service.tracking import snapshots
from service.tracking.models import ProviderEvent, Reply, ReplyKind
from tests.helpers import act


def test_kept_figures_are_counted_again_when_the_event_moves(db, factory, monkeypatch):
    event_id = factory.event(capacity=1)
    first, second = factory.invitees(event_id, 2)
    counted: list[int] = []

    def count() -> None:
        counted.append(1)

    def kept_or_counted() -> int:
        before = len(counted)
        with db.transaction(write=False) as session:
            snapshots.kept(session, "test", event_id, lambda: count())
        return len(counted) - before

    assert kept_or_counted() == 1  # the first time: counted
    assert kept_or_counted() == 0  # nothing changed: kept
    act(db, first.invitation_id, registrations.register, {})
    assert kept_or_counted() == 1  # a registration: counted again
    assert kept_or_counted() == 0
    with db.transaction() as session:
        session.add(Reply(invitation_id=second.invitation_id, kind=ReplyKind.HUMAN))
    assert kept_or_counted() == 1  # a reply
    with db.transaction() as session:
        session.add(ProviderEvent(sg_event_id="x-1", event="delivered", occurred_at=utcnow()))
    assert kept_or_counted() == 1  # a webhook batch read
    assert kept_or_counted() == 0
    monkeypatch.setattr(snapshots, "SECONDS", 0.0)
    assert kept_or_counted() == 1  # too old: counted again


def test_each_event_and_each_name_is_kept_apart(db, factory):
    one, other = factory.event(), factory.event()
    with db.transaction(write=False) as session:
        assert snapshots.kept(session, "a", one, lambda: "one") == "one"
        assert snapshots.kept(session, "a", other, lambda: "other") == "other"
        assert snapshots.kept(session, "b", one, lambda: "b") == "b"
        assert snapshots.kept(session, "a", one, lambda: "again") == "one"
        # a value that depends on something else than the event's version
        assert snapshots.kept(session, "c", one, lambda: 1, current="v1") == 1
        assert snapshots.kept(session, "c", one, lambda: 2, current="v1") == 1
        assert snapshots.kept(session, "c", one, lambda: 3, current="v2") == 3
