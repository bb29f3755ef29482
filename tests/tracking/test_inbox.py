"""The replies inbox as a service: filtered by event (through the invitation), by network list
(through the lists an invitation came from), by kind and by state, a page at a time; counts for
the tabs and the dashboard; marking handled and back, logged, by the back office and the CLI
alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from contacts.models import MailingList
from service.audit.models import AuditEntry
from service.campaigns.models import InvitationList
from service.cli import main
from service.errors import NotFound
from service.tracking import inbox
from service.tracking.inbox import InboxQuery, Order, State
from service.tracking.models import Reply, ReplyKind

RECEIVED = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # 10h00 in Paris
CLAIRE = (
    "Bonjour,\n\nJe viendrai avec une collègue : est-ce possible ?\nElle suit le pôle emploi."
    "\n\nBien à vous,\nClaire Martin"
)


def add_reply(db, invitation_id: int | None, minutes: int, **fields) -> int:
    """A reply received `minutes` after RECEIVED; a person's answer unless `kind` says not."""
    fields.setdefault("kind", ReplyKind.HUMAN)
    fields.setdefault("sender", "quelqu.un@example.org")
    fields.setdefault("subject", "Re: Invitation")
    fields.setdefault("text", "Bonjour,\nmerci pour l'invitation.")
    with db.transaction() as session:
        reply = Reply(
            invitation_id=invitation_id, received_at=RECEIVED + timedelta(minutes=minutes), **fields
        )
        session.add(reply)
        session.flush()
        return reply.id


@dataclass(frozen=True)
class Mailbox:
    """Two events, two network lists, and the replies of the fixture by name."""

    event_id: int
    other_event_id: int
    cncres: int
    coorace: int
    invitations: list[int]  # of the first event: Personne 0, 1, 2
    replies: dict[str, int]


def make_mailbox(db, factory) -> Mailbox:
    """Replies to two events: Claire and Paul answered the first one (Paul first, through
    CNCRES and COORACE), someone's out-of-office and a delivery report came back, someone
    answered the other event, and a stranger wrote to an address that matches nothing."""
    event_id = factory.event(title="Rencontre nationale des PTCE")
    other_event_id = factory.event(title="Une autre rencontre")
    people = [p.invitation_id for p in factory.invitees(event_id, 3)]
    other = factory.invitees(other_event_id, 1, prefix="autre")[0].invitation_id
    with db.transaction() as session:
        lists = [MailingList(name="CNCRES"), MailingList(name="COORACE")]
        session.add_all(lists)
        session.flush()
        cncres, coorace = (found.id for found in lists)
        for invitation_id, list_id in (
            (people[0], cncres), (people[1], cncres), (people[1], coorace), (people[2], coorace),
        ):  # fmt: skip
            session.add(InvitationList(invitation_id=invitation_id, list_id=list_id))
    replies = {
        "claire": add_reply(db, people[0], 10, sender="claire@example.org", text=CLAIRE),
        "paul": add_reply(db, people[1], 5, sender="paul@example.org",
                          subject="Question & accès"),
        "absent": add_reply(db, people[2], 1, kind=ReplyKind.AUTOMATIC,
                            sender="ana@example.org", subject="Réponse automatique : absente"),
        "report": add_reply(db, people[0], 2, kind=ReplyKind.BOUNCE,
                            sender="mailer-daemon@example.org", subject="Undelivered Mail"),
        "other": add_reply(db, other, 3, sender="autre@example.org"),
        "stranger": add_reply(db, None, 4, sender="inconnu@example.org"),
    }  # fmt: skip
    return Mailbox(event_id, other_event_id, cncres, coorace, people, replies)


@pytest.fixture
def mailbox(db, factory) -> Mailbox:
    return make_mailbox(db, factory)


def shown(db, **asked) -> list[int]:
    """The ids of the replies the inbox shows for these filters, in its order."""
    with db.transaction(write=False) as session:
        return [line.id for line in inbox.replies(session, InboxQuery(**asked))]


def counted(db, **asked) -> inbox.InboxCounts:
    with db.transaction(write=False) as session:
        return inbox.counts(session, InboxQuery(**asked))


def test_an_event_s_inbox_holds_people_s_answers_oldest_first(db, mailbox):
    r = mailbox.replies
    assert shown(db, event_id=mailbox.event_id) == [r["paul"], r["claire"]]
    assert shown(db, event_id=mailbox.other_event_id) == [r["other"]]
    with db.transaction(write=False) as session:
        line = inbox.replies(session, InboxQuery(event_id=mailbox.event_id))[1]
    assert (line.sender, line.name, line.event_title) == (
        "claire@example.org",
        "Personne 0",
        "Rencontre nationale des PTCE",
    )
    assert line.mailto == "mailto:claire@example.org?subject=Re%3A%20Invitation"  # no "Re: Re:"
    first_lines = (
        "Bonjour,\nJe viendrai avec une collègue : est-ce possible ?\nElle suit le pôle emploi."
    )
    assert (line.preview, line.has_more) == (first_lines, True)
    assert counted(db, event_id=mailbox.event_id).of(ReplyKind.HUMAN, State.OPEN) == 2


def test_automatic_replies_and_delivery_reports_are_kept_apart(db, mailbox):
    r, event_id = mailbox.replies, mailbox.event_id
    assert shown(db, event_id=event_id, kind=ReplyKind.AUTOMATIC) == [r["absent"]]
    assert shown(db, event_id=event_id, kind=ReplyKind.BOUNCE) == [r["report"]]
    assert shown(db, event_id=event_id, kind=None) == [r["absent"], r["report"], r["paul"],
                                                       r["claire"]]  # fmt: skip
    counts = counted(db, event_id=event_id)
    assert [counts.of(kind, State.OPEN) for kind in ReplyKind] == [2, 1, 1]
    assert counts.of(None, State.ALL) == 4


def test_without_an_event_the_inbox_holds_every_reply_even_unmatched(db, mailbox):
    r = mailbox.replies
    assert shown(db) == [r["other"], r["stranger"], r["paul"], r["claire"]]
    with db.transaction(write=False) as session:
        stranger = inbox.reply_line(session, r["stranger"])
    assert (stranger.name, stranger.event_id, stranger.contact_id) == ("", None, None)


def test_a_network_list_keeps_the_replies_of_the_invitations_it_brought(db, mailbox):
    r = mailbox.replies
    assert shown(db, list_id=mailbox.coorace) == [r["paul"]]
    assert shown(db, list_id=mailbox.coorace, kind=ReplyKind.AUTOMATIC) == [r["absent"]]
    assert shown(db, list_id=mailbox.cncres) == [r["paul"], r["claire"]]
    assert shown(db, list_id=mailbox.cncres, event_id=mailbox.other_event_id) == []
    counts = counted(db, list_id=mailbox.coorace)
    assert [counts.of(kind, State.ALL) for kind in ReplyKind] == [1, 1, 0]


def test_marking_handled_moves_a_reply_between_states_and_is_logged(db, mailbox):
    r, event_id = mailbox.replies, mailbox.event_id
    with db.transaction() as session:
        assert inbox.mark_handled(session, r["claire"], True, "orga@example.org") is True
    assert shown(db, event_id=event_id) == [r["paul"]]
    assert shown(db, event_id=event_id, state=State.HANDLED) == [r["claire"]]
    assert shown(db, event_id=event_id, state=State.ALL) == [r["claire"], r["paul"]]  # newest
    assert shown(db, event_id=event_id, state=State.ALL, order=Order.OLDEST) == [
        r["paul"], r["claire"]
    ]  # fmt: skip
    counts = counted(db, event_id=event_id)
    assert (counts.of(ReplyKind.HUMAN, State.OPEN), counts.of(ReplyKind.HUMAN, State.HANDLED)) == (
        1, 1
    )  # fmt: skip
    with db.transaction() as session:
        assert inbox.mark_handled(session, r["claire"], True, "comms@example.org") is False
        assert inbox.mark_handled(session, r["claire"], False, "comms@example.org") is True
    assert shown(db, event_id=event_id) == [r["paul"], r["claire"]]
    with db.transaction(write=False) as session:
        entries = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.event_id, AuditEntry.subject)
            .order_by(AuditEntry.id)
        ).all()  # fmt: skip
    subject = f"reply {r['claire']}"
    assert [tuple(entry) for entry in entries] == [
        ("orga@example.org", "reply.handled", event_id, subject),
        ("comms@example.org", "reply.reopened", event_id, subject),
    ]
    with db.transaction() as session, pytest.raises(NotFound):
        inbox.mark_handled(session, 999_999, True, "orga@example.org")


def test_the_unhandled_count_is_of_people_s_answers_to_the_event(db, mailbox):
    r = mailbox.replies
    with db.transaction(write=False) as session:
        assert inbox.unhandled_count(session, mailbox.event_id) == 2  # not the robots'
        assert inbox.unhandled_count(session, mailbox.other_event_id) == 1
    with db.transaction() as session:
        inbox.mark_handled(session, r["paul"], True, "comms@example.org")
        inbox.mark_handled(session, r["absent"], True, "comms@example.org")
    with db.transaction(write=False) as session:
        assert inbox.unhandled_count(session, mailbox.event_id) == 1


def test_the_inbox_is_paged_by_fifty(db, mailbox):
    other = mailbox.other_event_id
    with db.transaction() as session:
        invitation_id = session.scalar(
            select(Reply.invitation_id).where(Reply.id == mailbox.replies["other"])
        )
        session.add_all(
            Reply(invitation_id=invitation_id, kind=ReplyKind.HUMAN, sender=f"n{i}@example.org",
                  received_at=RECEIVED + timedelta(hours=1, minutes=i))
            for i in range(52)
        )  # fmt: skip
    first, second = (shown(db, event_id=other, page=page) for page in (0, 1))
    assert (len(first), len(second)) == (50, 3)
    assert first[0] == mailbox.replies["other"]  # the oldest opens the first page
    assert not set(first) & set(second)
    counts = counted(db, event_id=other)
    assert counts.pages(InboxQuery(event_id=other)) == 2
    assert inbox.on_a_page(counts, InboxQuery(event_id=other, page=9)).page == 1
    assert counts.pages(InboxQuery(event_id=other, kind=ReplyKind.BOUNCE)) == 1  # none: 1 page


def test_the_cli_lists_and_marks_replies_through_the_same_service(db, mailbox):
    r, runner = mailbox.replies, CliRunner()
    listed = runner.invoke(main, ["replies", "--event", str(mailbox.event_id)])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert [int(line.split("\t")[0]) for line in lines] == [r["paul"], r["claire"]]
    assert "2026-07-01 10:05" in lines[0]  # in Paris
    everything = runner.invoke(main, ["replies", "--event", str(mailbox.event_id), "--all"])
    assert len(everything.output.splitlines()) == 4

    handled = runner.invoke(main, ["replies", "handle", str(r["claire"])])
    assert handled.output == f"reply {r['claire']}: handled\n"
    again = runner.invoke(main, ["replies", "handle", str(r["claire"])])
    assert again.output == f"reply {r['claire']}: handled (it already was)\n"
    assert (
        runner.invoke(main, ["replies", "--event", str(mailbox.event_id)]).output == lines[0] + "\n"
    )
    undone = runner.invoke(main, ["replies", "handle", "--undo", str(r["claire"])])
    assert undone.output == f"reply {r['claire']}: to handle\n"
    with db.transaction(write=False) as session:
        entries = session.execute(select(AuditEntry.actor, AuditEntry.action)).all()
    assert sorted(tuple(entry) for entry in entries) == [
        ("cli", "reply.handled"), ("cli", "reply.reopened")
    ]  # fmt: skip
    unknown = runner.invoke(main, ["replies", "handle", "999999"])
    assert unknown.exit_code == 1
    assert "no reply with id 999999" in unknown.output


def test_the_answer_link_cannot_be_turned_into_other_headers(db, factory):
    event_id = factory.event()
    invitation_id = factory.invitees(event_id, 1)[0].invitation_id
    subject = "Question & accès\u00a0: bcc=c@example.org"
    reply_id = add_reply(
        db, invitation_id, 0, sender="a@example.org?cc=b@example.org", subject=subject, text="Oui"
    )
    with db.transaction(write=False) as session:
        line = inbox.reply_line(session, reply_id)
    assert line.mailto == (
        "mailto:a@example.org%3Fcc%3Db@example.org?subject=Re%3A%20Question%20%26%20acc%C3%A8s"
        "%C2%A0%3A%20bcc%3Dc%40example.org"
    )
    assert (line.preview, line.has_more) == ("Oui", False)
