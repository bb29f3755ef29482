"""Statistics on a fixture whose answers are known: every number asserted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from contacts.models import Contact
from service.campaigns import services
from service.campaigns.models import CampaignKind
from service.db import utcnow
from service.mail.models import Message, MessageStatus
from service.registrations import services as registrations
from service.registrations.models import Invitation
from service.tracking import funnel, stats
from service.tracking.models import ProviderEvent, Reply, ReplyKind
from tests.campaigns.conftest import email, new_campaign
from tests.helpers import act


def _setup(db, settings, factory) -> int:
    """20 people on four lists, invited; their answers as the docstrings of the tests say."""
    event_id = factory.event(capacity=1)
    campaign_id = new_campaign(db, event_id, CampaignKind.INVITATION)
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda *_: None)
    services.build(db, settings, campaign_id)
    now = utcnow()
    with db.transaction() as session:
        session.execute(
            update(Message)
            .where(Message.status == MessageStatus.QUEUED)
            .values(status=MessageStatus.SENT, sent_at=now - timedelta(hours=1))
        )
        rows = session.execute(
            select(Contact.email, Message.id, Invitation.id)
            .join(Message, Message.contact_id == Contact.id)
            .join(Invitation, Invitation.id == Message.invitation_id)
        ).all()
        message = {address: m for address, m, _ in rows}
        invitation = {address: i for address, _, i in rows}

        def happened(number: int, kind: str, **fields: object) -> None:
            session.add(ProviderEvent(
                sg_event_id=f"{number}-{kind}-{len(session.new)}",
                message_id=message[email(number)], event=kind, occurred_at=now, **fields,
            ))  # fmt: skip

        for number in range(20):
            if number not in (7, 9):  # 7 unsubscribed before: never sent; 9 bounces
                happened(number, "delivered")
        happened(9, "bounce", detail="bounce")
        for number in (0, 1, 2):
            happened(number, "open")
        happened(3, "open", machine=True)  # a privacy proxy, not a person
        happened(1, "click")
        happened(2, "click", machine=True)  # a link scanner
        happened(8, "unsubscribe")
        session.add(Reply(invitation_id=invitation[email(5)], kind=ReplyKind.HUMAN))
        session.add(Reply(invitation_id=invitation[email(6)], kind=ReplyKind.AUTOMATIC))
        session.flush()
        # Written behind the services' back: the steps are rebuilt as the migration does.
        funnel.recompute(session, event_id)
    with db.transaction() as session:  # the invitations left two hours before the first answer
        session.execute(update(Invitation).values(sent_at=utcnow() - timedelta(hours=2)))
    act(db, invitation[email(0)], registrations.register, {})  # the seat
    act(db, invitation[email(1)], registrations.register, {})  # the waitlist
    act(db, invitation[email(4)], registrations.decline)
    return event_id


def counts(funnel: stats.Funnel) -> tuple[int, ...]:
    return tuple(getattr(funnel, step) for step in (*stats.FUNNEL, "responded"))


def test_the_funnel_in_total_per_list_and_per_campaign(db, settings, factory, network):
    event_id = _setup(db, settings, factory)
    with db.transaction(write=False) as session:
        total = stats.totals(session, event_id)
        lists = {f.name: counts(f) for f in stats.by_list(session, event_id)}
        campaigns = stats.by_campaign(session, event_id)
        gauge = stats.gauge(session, event_id)
    # invited, sent, delivered, bounced, opened, clicked, registered, declined, replied,
    # unsubscribed, responded
    assert counts(total) == (20, 19, 18, 1, 3, 1, 2, 1, 1, 1, 4)
    assert total.response_rate == 4 / 18
    assert lists == {
        "CNCRES": (10, 9, 8, 1, 3, 1, 2, 1, 1, 1, 4),  # people 0-9
        "COORACE": (10, 9, 8, 1, 0, 0, 0, 0, 1, 1, 1),  # people 5-14
        "MES": (3, 3, 3, 0, 1, 0, 1, 0, 0, 0, 1),  # people 0, 3, 19
        "RTES": (10, 10, 10, 0, 0, 0, 0, 0, 0, 0, 0),  # people 10-19
    }
    assert [counts(c) for c in campaigns] == [counts(total)]
    assert campaigns[0].name.endswith(": invitation")
    assert gauge == {"capacity": 1, "confirmed": 1, "offered": 0, "waitlisted": 1}


def test_the_stats_command_prints_the_funnel_as_a_table_csv_xlsx_and_json(
    db, settings, factory, network, tmp_path
):
    import json

    from click.testing import CliRunner

    from service.cli import main

    event_id = _setup(db, settings, factory)
    runner = CliRunner()
    table = runner.invoke(main, ["stats", "--event", str(event_id), "--by", "list"])
    assert table.exit_code == 0, table.output
    assert "22%" in table.output  # 4 of 18 delivered people answered
    assert "seats: 1 confirmed, 0 offered, 1 waiting, capacity 1" in table.output
    assert "median time to respond: 2 h 0 min" in table.output
    as_csv = runner.invoke(main, ["stats", "--event", str(event_id), "--format", "csv"])
    assert as_csv.output.splitlines()[1].startswith("total,20,19,18,1,3,1,2,1,1,1,4,")
    from openpyxl import load_workbook

    xlsx = tmp_path / "funnel.xlsx"
    runner.invoke(main, ["stats", "--event", str(event_id), "--by", "list", "--format", "xlsx",
                         "--out", str(xlsx)])  # fmt: skip
    assert [row[0] for row in load_workbook(xlsx).active.iter_rows(values_only=True)] == [
        "name",
        "total",
        "CNCRES",
        "COORACE",
        "MES",
        "RTES",
    ]
    as_json = json.loads(
        runner.invoke(
            main, ["stats", "--event", str(event_id), "--by", "campaign", "--format", "json"]
        ).output
    )
    assert as_json["gauge"]["waitlisted"] == 1
    assert sum(day["registrations"] for day in as_json["per_day"]) == 2
    assert len(as_json["funnel"]) == 2
    missing = runner.invoke(main, ["stats", "--event", "999"])
    assert "--event: no event with id 999" in missing.output


def test_the_api_gives_the_same_report(client, db, settings, factory, network):
    from service.api.services import create_token

    event_id = _setup(db, settings, factory)
    with db.transaction() as session:
        auth = {"Authorization": f"Bearer {create_token(session, 'tests')}"}
    answer = client.get(f"/api/v1/events/{event_id}/stats?by=list", headers=auth)
    assert answer.status_code == 200
    funnel = answer.get_json()["funnel"]
    assert [row["name"] for row in funnel] == ["total", "CNCRES", "COORACE", "MES", "RTES"]
    assert (funnel[0]["responded"], funnel[0]["response_rate"]) == (4, round(4 / 18, 4))
    assert answer.get_json()["median_seconds_to_respond"] == pytest.approx(7200, abs=60)
    by_day = client.get(f"/api/v1/events/{event_id}/stats?by=day", headers=auth).get_json()
    # Attendance per day of registration: one seat, nobody checked in, the event still ahead.
    total, *days = by_day["attendance"]
    assert (total["name"], total["confirmed"], total["attendance_rate"]) == ("total", 1, None)
    assert [day["confirmed"] for day in days] == [1]
    assert client.get(f"/api/v1/events/{event_id}/stats?by=week", headers=auth).status_code == 422
    assert client.get("/api/v1/events/999/stats", headers=auth).status_code == 404
    assert client.get(f"/api/v1/events/{event_id}/stats").status_code == 401
