"""An organiser's logo: PNG, JPEG or WebP told by their first bytes, 200 KB at most; setting or
removing it raises the event's content version (its pages and their URLs change), is logged, and
is refused on a cancelled event; `convier event logo` does it from the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from service.audit.models import AuditEntry
from service.cli import main
from service.errors import Conflict, Invalid, NotFound
from service.events.logos import MAX_BYTES, checked_logo, event_logo, remove_logo, set_logo
from service.events.models import Event
from service.registrations.event_changes import cancel_event
from tests.events.logo_images import GIF, JPEG, PNG, SVG, WEBP


@pytest.mark.parametrize(
    ("data", "kind"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")]
)
def test_png_jpeg_and_webp_are_told_by_their_first_bytes(data, kind):
    assert checked_logo(data) == kind


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (SVG, "not a PNG, JPEG or WebP image"),
        (GIF, "not a PNG, JPEG or WebP image"),
        (b"Ceci n'est pas une image.", "not a PNG, JPEG or WebP image"),
        (b"", "not a PNG, JPEG or WebP image"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not a PNG, JPEG or WebP image"),  # a sound, not WebP
        (PNG + b"\x00" * (MAX_BYTES + 1 - len(PNG)), "larger than 200 KB"),
    ],
)
def test_anything_else_is_refused_naming_the_logo(data, reason):
    with pytest.raises(Invalid) as refused:
        checked_logo(data)
    assert refused.value.fields == {"logo": reason}


def test_a_png_of_exactly_200_kb_is_taken():
    assert checked_logo(PNG + b"\x00" * (MAX_BYTES - len(PNG))) == "image/png"


def _version(db, event_id: int) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(Event.content_version).where(Event.id == event_id))


def test_setting_and_removing_raise_the_content_version_and_are_logged(db, factory):
    event_id = factory.event()
    first = _version(db, event_id)
    with db.transaction() as session:
        set_logo(session, event_id, PNG, "cli")
    assert _version(db, event_id) == first + 1
    with db.transaction(write=False) as session:
        assert event_logo(session, event_id) == (PNG, "image/png")
    with db.transaction() as session:
        remove_logo(session, event_id, "cli")
    assert _version(db, event_id) == first + 2
    with db.transaction(write=False) as session:
        with pytest.raises(NotFound):
            event_logo(session, event_id)
        logged = session.scalars(select(AuditEntry.details).where(AuditEntry.event_id == event_id))
        assert list(logged) == [{"changed": ["logo"]}, {"changed": ["logo"]}]


def test_removing_no_logo_changes_nothing(db, factory):
    event_id = factory.event()
    first = _version(db, event_id)
    with db.transaction() as session:
        remove_logo(session, event_id, "cli")
    assert _version(db, event_id) == first


def test_a_cancelled_events_logo_cannot_change(db, factory):
    event_id = factory.event()
    with db.transaction() as session:
        cancel_event(session, event_id, "cli", tell=False)
    with pytest.raises(Conflict), db.transaction() as session:
        set_logo(session, event_id, PNG, "cli")
    with db.transaction(write=False) as session, pytest.raises(NotFound):
        event_logo(session, event_id)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_the_cli_sets_and_removes_a_logo(db, factory, tmp_path: Path):
    event_id = factory.event()
    path = tmp_path / "logo.webp"
    path.write_bytes(WEBP)
    assert run("event", "logo", "--event", str(event_id), "--file", str(path)) == (
        0, f"event {event_id}: logo set (image/webp, 0 KB)\n",
    )  # fmt: skip
    with db.transaction(write=False) as session:
        assert event_logo(session, event_id) == (WEBP, "image/webp")
    assert run("event", "logo", "--event", str(event_id), "--remove") == (
        0, f"event {event_id}: logo removed\n",
    )  # fmt: skip
    with db.transaction(write=False) as session, pytest.raises(NotFound):
        event_logo(session, event_id)


def test_the_cli_names_what_it_refuses(db, factory, tmp_path: Path):
    event_id = factory.event()
    svg = tmp_path / "logo.png"  # its name says PNG; its bytes say otherwise
    svg.write_bytes(SVG)
    code, output = run("event", "logo", "--event", str(event_id), "--file", str(svg))
    assert (code, output) == (1, "Error: logo: not a PNG, JPEG or WebP image\n")
    code, output = run("event", "logo", "--event", "99", "--remove")
    assert (code, output) == (1, "Error: --event: no event with id 99\n")
    code, output = run("event", "logo", "--event", str(event_id), "--file", str(tmp_path / "x"))
    assert code == 1
    assert "cannot read the file" in output
    code, output = run("event", "logo", "--event", str(event_id))
    assert code == 2
    assert "give either --file PATH or --remove" in output
    code, _ = run("event", "logo", "--event", str(event_id), "--file", str(svg), "--remove")
    assert code == 2
    with db.transaction(write=False) as session, pytest.raises(NotFound):
        event_logo(session, event_id)
