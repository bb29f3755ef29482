"""`convier campaign …`, run in-process on the test database."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from service.campaigns import services
from service.campaigns.models import Campaign, CampaignKind, CampaignState
from service.cli import main
from service.mail.models import Message
from tests.campaigns.conftest import OUTBOX, campaign_state, email, new_campaign


def run(*args: str, code: int = 0, answer: str | None = None) -> str:
    result = CliRunner().invoke(main, ["campaign", *args], input=answer, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_create_prints_the_id_of_a_draft(db, factory, network):
    event_id = factory.event()
    output = run("create", "--event", str(event_id), "--kind", "invitation",
                 "--lists", "CNCRES, MES", "--send-at", "2030-06-01T09:00")  # fmt: skip
    campaign_id = int(output.strip())
    with db.transaction(write=False) as session:
        campaign = services.get(session, campaign_id)
        assert (campaign.state, campaign.lists) == (CampaignState.DRAFT, ["CNCRES", "MES"])
        assert campaign.send_at is not None
        assert campaign.send_at.isoformat() == "2030-06-01T07:00:00+00:00"


@pytest.mark.parametrize(
    ("option", "value", "code", "message"),
    [
        ("--lists", "CNCRES,NOPE", 1, "--lists: no list called 'NOPE'"),
        ("--send-at", "tomorrow", 2, "Invalid value for --send-at"),
        ("--event", "999", 1, "--event: no event with id 999"),
    ],
)
def test_create_names_the_bad_option(db, factory, network, option, value, code, message):
    options = {"--event": str(factory.event()), "--kind": "invitation", "--lists": "CNCRES"}
    options[option] = value
    output = run("create", *(part for pair in options.items() for part in pair), code=code)
    assert message in output
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_launch_shows_the_audience_and_asks_first(db, factory, network):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    refused = run("launch", str(campaign_id), answer="n\n", code=1)
    assert f"Send campaign {campaign_id} to 20 people? [y/N]" in refused
    assert "Aborted" in refused
    assert campaign_state(db, campaign_id) is CampaignState.DRAFT
    launched = run("launch", str(campaign_id), "--yes")
    assert launched == f"campaign {campaign_id}: sending, 20 people\n"
    assert "only a draft launches" in run("launch", str(campaign_id), "--yes", code=1)


def test_show_prints_the_progress_line(db, settings, factory, network):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    run("launch", str(campaign_id), "--yes")
    services.build(db, settings, campaign_id)  # the worker's part
    first, line = run("show", str(campaign_id)).splitlines()
    assert first.startswith(f"campaign {campaign_id}: invitation of event ")
    assert line == "[█" + "·" * 29 + "] 1/20 sending — 19 queued, 1 suppressed"


def test_pause_resume_and_cancel_print_the_state(db, factory, network):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION)
    run("launch", str(campaign_id), "--yes")
    for command, shown in [("pause", "paused"), ("resume", "sending"), ("cancel", "cancelled")]:
        assert run(command, str(campaign_id)) == f"campaign {campaign_id}: {shown}\n"
    assert campaign_state(db, campaign_id) is CampaignState.CANCELLED
    assert "is cancelled" in run("pause", str(campaign_id), code=1)


def test_test_send_writes_one_email_and_no_outbox_row(db, factory, network):
    campaign_id = new_campaign(db, factory.event(), CampaignKind.INVITATION, subject="Essai")
    assert run("test-send", str(campaign_id), "--to", email(3)) == f"sent to {email(3)}\n"
    [path] = OUTBOX.glob("*.eml")
    sent = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert (sent["To"].addresses[0].addr_spec, sent["Subject"]) == (email(3), "Essai")
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert "--to: address: not a single address" in run(
        "test-send", str(campaign_id), "--to", "nobody", code=1
    )
    assert "no campaign with id 999" in run("test-send", "999", "--to", email(3), code=1)
