"""The `convier` command, run in-process on the test database."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from service.audit.models import AuditEntry
from service.cli import PACKAGE_COMMANDS, main
from service.demo import DEMO_EVENT
from service.mail.models import Message
from tests.servers import ROOT

CHANGE = {"capacity": 1, "slug": "ma-rencontre"}


def run(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert (result.exit_code == 0) is ok, result.output
    return result.output


@pytest.fixture
def event_file(tmp_path: Path) -> Path:
    data = yaml.safe_load(DEMO_EVENT.read_text(encoding="utf-8"))
    data.update(CHANGE, date="2030-07-05")
    path = tmp_path / "event.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_create_show_invite_and_list_registrations(db, event_file, client):
    assert "created event 1: Rencontre nationale" in run(
        "event", "create", "--file", str(event_file)
    )
    assert "2030-07-05 14:30" in run("event", "list")
    first = run(
        "invite", "--event", "1", "--email", " Moi@Example.org ", "--name", "Moi Même"
    ).strip()
    second = run("invite", "--event", "1", "--email", "collegue@example.org").strip()
    for link in (first, second):
        page = client.get(link.removeprefix("http://127.0.0.1:5000"))
        assert page.status_code == 200
    assert (
        run("invite", "--event", "1", "--email", "moi@example.org").strip().split(".")[0]
        == first.split(".")[0]
    )
    shown = run("event", "show", "1").splitlines()
    counts = dict(line.split() for line in shown[2:11])
    assert counts == {
        "capacity": "1", "confirmed": "0", "offered": "0", "waitlisted": "0", "declined": "0",
        "cancelled": "0", "attended": "0", "seats_held": "0", "seats_free": "1",
    }  # fmt: skip
    assert shown[11:] == [
        "answers of the people holding a seat:", "  drink: yes 0, no 0",
        "  structure_type: PTCE 0, Collectivité 0, Réseau 0, Chercheur 0, Autre 0",
    ]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(run("registrations", "--event", "1"))))
    assert rows == []


def test_invite_emails_the_invitation_only_when_asked(db, factory):
    event_id = factory.event()
    run("invite", "--event", str(event_id), "--email", "claire@example.org")
    with db.transaction(write=False) as session:
        assert session.scalars(select(Message.template)).all() == []
    link = run("invite", "--event", str(event_id), "--email", "claire@example.org", "--send")
    assert "/r/" in link
    with db.transaction(write=False) as session:
        assert session.scalars(select(Message.template)).all() == ["invitation"]
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["invitation.created", "invitation.sent"]


def test_bad_event_file_names_each_field(db, tmp_path):
    path = tmp_path / "bad.yaml"
    data = yaml.safe_load(DEMO_EVENT.read_text(encoding="utf-8"))
    data.update(capacity=-1, colour="blue")
    data["programme"][0]["starts"] = "25h00"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    output = run("event", "create", "--file", str(path), ok=False)
    assert "capacity: Input should be greater than or equal to 0" in output
    assert "programme.0.starts:" in output
    assert "colour: Extra inputs are not permitted" in output
    assert run("event", "list") == ""


def test_english_options_go_through_export_and_update(db, event_file, tmp_path):
    run("event", "create", "--file", str(event_file))
    exported = yaml.safe_load(run("event", "export", "1"))
    structure = exported["questions"][1]
    assert structure["choices_en"] == ["PTCE", "Local authority", "Network", "Researcher", "Other"]
    structure["choices_en"][2] = "Partner network"
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(exported, allow_unicode=True), encoding="utf-8")
    assert run("event", "update", "1", "--file", str(changed)) == "changed: questions; emailed: 0\n"
    again = yaml.safe_load(run("event", "export", "1"))
    assert again["questions"][1]["choices_en"][2] == "Partner network"


def test_english_options_one_short_are_refused_by_name(db, tmp_path):
    data = yaml.safe_load(DEMO_EVENT.read_text(encoding="utf-8"))
    data.update(CHANGE, date="2030-07-05")
    data["questions"][1]["choices_en"] = ["PTCE", "Local authority", "Network", "Researcher"]
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    output = run("event", "create", "--file", str(path), ok=False)
    assert (
        "questions.1.choices_en: give one English option per French option (5 expected, 4 given)"
        in output
    )
    assert run("event", "list") == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("\x00\xff", "not UTF-8 text"),
    ],
)
def test_unreadable_event_files_are_refused_clearly(db, tmp_path, content, message):
    path = tmp_path / "event.yaml"
    path.write_bytes(content.encode("latin-1"))
    assert message in run("event", "create", "--file", str(path), ok=False)


def test_unknown_event_and_bad_email_are_named(db, event_file):
    assert "event: no event with id 9" in run("event", "show", "9", ok=False)
    run("event", "create", "--file", str(event_file))
    assert "--email:" in run("invite", "--event", "1", "--email", "pas-une-adresse", ok=False)
    assert "--event:" in run("invite", "--event", "7", "--email", "a@example.org", ok=False)


def test_set_capacity_and_registrations_as_json(db, factory, client):
    from service.registrations import services
    from tests.helpers import act

    event_id = factory.event(capacity=1, registration={"waitlist_policy": "confirm"})
    people = factory.invitees(event_id, 3)
    for p in people:
        act(db, p.invitation_id, services.register, {})
    assert "capacity 2; seats held 2; waiting 1" in run("event", "set-capacity", str(event_id), "2")
    rows = json.loads(run("registrations", "--event", str(event_id), "--format", "json"))
    assert [(r["email"], r["status"], r["waitlist_position"]) for r in rows] == [
        ("invite00000@example.org", "confirmed", None),
        ("invite00001@example.org", "confirmed", None),
        ("invite00002@example.org", "waitlisted", 2),
    ]


def test_demo_loads_once(db):
    first = run("demo")
    assert "created event" in first
    assert first.count("http://127.0.0.1:5000/r/") == 4
    second = run("demo")
    assert "already loaded" in second
    assert run("event", "list").count("\n") == 1


def test_commands_ask_for_the_migration_on_an_old_schema(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    output = run("event", "list", ok=False)
    assert "run `convier db upgrade`" in output


def test_help_lists_each_package_command_with_its_own_help():
    listed = run("--help")
    context = click.Context(main)
    for name, (_, short_help) in PACKAGE_COMMANDS.items():
        command = main.get_command(context, name)
        assert command is not None
        assert command.get_short_help_str(limit=1000) == short_help
        assert name in listed
    assert run("--version") == f"convier {version('convier')}\n"


def test_help_imports_no_command_and_no_database_layer():
    # A fresh interpreter: what `convier --help` loads before it answers.
    code = (
        "import sys; from service.cli import main; from click.testing import CliRunner; "
        "assert CliRunner().invoke(main, ['--help']).exit_code == 0; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'celery', 'service')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "flask" not in loaded
    assert "sqlalchemy" not in loaded
    assert "celery" not in loaded
    assert "service.registrations" not in loaded


def test_invite_takes_a_first_and_a_family_name_apart(db, event_file):
    from contacts.models import Contact

    run("event", "create", "--file", str(event_file))
    run("invite", "--event", "1", "--email", "marie@example.org",
        "--first-name", "Marie", "--last-name", "de La Tour du Pin")  # fmt: skip
    run("invite", "--event", "1", "--email", "moi@example.org", "--name", "Me")
    both = ["--name", "A B", "--last-name", "B"]
    refused = CliRunner().invoke(main, ["invite", "--event", "1", "--email", "x@b.org", *both])
    assert refused.exit_code == 2
    assert "not both" in refused.output
    with db.transaction(write=False) as session:
        names = {c.email: (c.first_name, c.last_name) for c in session.scalars(select(Contact))}
    assert names == {
        "marie@example.org": ("Marie", "de La Tour du Pin"),
        "moi@example.org": ("Me", ""),
    }
