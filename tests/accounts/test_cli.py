"""`convier user`: the first admin is made from the server, and sees a link to sign in with."""

from __future__ import annotations

import re

from click.testing import CliRunner

from service.cli import main


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["user", *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_create_prints_a_sign_in_link_that_opens_its_page(db, client):
    output = run("create", "Admin@Example.org", "--role", "admin")
    link = re.search(r"http://\S+/manage/link/(\S+)", output)
    assert link is not None, output
    page = client.get(f"/manage/link/{link.group(1)}")
    assert page.status_code == 200
    assert "admin@example.org" in page.text
    assert "Choisissez votre mot de passe" in page.text


def test_list_shows_role_events_and_state(db, factory):
    event_id = factory.event()
    run("create", "porte@example.org", "--role", "door", "--event", str(event_id))
    factory.user("comms@example.org", "comms")
    lines = run("list").splitlines()
    assert lines == [
        "comms@example.org\tcomms\t-\tactive",
        f"porte@example.org\tdoor\t{event_id}\tno password yet",
    ]


def test_disable_then_list(db, factory):
    factory.user("comms@example.org", "comms")
    assert run("disable", "comms@example.org") == "comms@example.org disabled\n"
    assert run("list") == "comms@example.org\tcomms\t-\tdisabled\n"


def test_refusals_name_the_option(db):
    assert "--event: a door account names at least one event" in run(
        "create", "porte@example.org", "--role", "door", code=1
    )
    assert "--event: no event 424242" in run(
        "create", "porte@example.org", "--role", "door", "--event", "424242", code=1
    )
    assert "no account for nobody@example.org" in run("disable", "nobody@example.org", code=1)
    assert "email:" in run("create", "pas-une-adresse", "--role", "comms", code=1)


def test_link_makes_a_new_sign_in_link(db, factory):
    factory.user("comms@example.org", "comms")
    assert "/manage/link/" in run("link", "comms@example.org")
    run("disable", "comms@example.org")
    assert "comms@example.org is disabled" in run("link", "comms@example.org", code=1)
