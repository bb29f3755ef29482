"""The file backend of the embedded default: one parseable .eml per recipient, atomically."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from service.config import Settings
from service.mail.backends import file as file_backend
from service.mail.backends.file import FileBackend
from service.mail.envelope import Address, Batch, Result
from tests.mail.test_mime import guest, invitation, parse


@pytest.fixture
def backend(settings: Settings, tmp_path: Path) -> FileBackend:
    """A file backend writing under a fresh var/ directory."""
    return FileBackend(replace(settings, var_dir=tmp_path))


def test_each_recipient_gets_one_parseable_eml(backend: FileBackend) -> None:
    outcomes = backend.send(Batch(invitation(), (guest(1), guest(2))))

    assert [o.result for o in outcomes] == [Result.SENT, Result.SENT]
    files = sorted(backend.outbox.iterdir())
    assert [f.name.split("-", 1)[0] for f in files] == ["1", "2"]
    for outcome, path in zip(outcomes, files, strict=True):
        assert outcome.provider_id.strip("<>") in path.name
        message = parse(path.read_bytes())
        assert message["Message-ID"] == outcome.provider_id
        assert message["To"].addresses[0].addr_spec == f"elise.{outcome.message_id}@example.org"
        assert message.get_body(("plain",)) is not None
        assert message.get_body(("html",)) is not None


def test_unsafe_recipient_fails_and_the_others_are_written(backend: FileBackend) -> None:
    bad = guest(2, headers={"Bcc": "victim@example.org"})

    outcomes = backend.send(Batch(invitation(), (guest(1), bad, guest(3))))

    assert [o.result for o in outcomes] == [Result.SENT, Result.FAILED, Result.SENT]
    assert "Bcc" in outcomes[1].error
    assert len(list(backend.outbox.glob("*.eml"))) == 2


def test_a_file_appears_whole_under_its_name_or_not_at_all(
    backend: FileBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, bool, int]] = []
    real_replace = os.replace

    def watching_replace(source: str, target: Path) -> None:
        # At the rename the data is complete in a hidden file of the same directory.
        seen.append((Path(source).name, Path(target).exists(), Path(source).stat().st_size))
        real_replace(source, target)

    monkeypatch.setattr(file_backend.os, "replace", watching_replace)
    [outcome] = backend.send(Batch(invitation(), (guest(1),)))

    [(temporary, target_existed, size)] = seen
    [written] = backend.outbox.iterdir()
    assert temporary.startswith(".")
    assert not target_existed
    assert size == written.stat().st_size
    assert outcome.result is Result.SENT


def test_a_failed_write_leaves_nothing_and_asks_for_a_retry(
    backend: FileBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(source: str, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(file_backend.os, "replace", full_disk)
    [outcome] = backend.send(Batch(invitation(), (guest(1),)))

    assert outcome.result is Result.RETRY
    assert "No space left" in outcome.error
    assert list(backend.outbox.iterdir()) == []


def test_a_sender_that_cannot_be_written_fails_the_batch(backend: FileBackend) -> None:
    content = invitation(sender=Address("contact(x)@example.org"))

    outcomes = backend.send(Batch(content, (guest(1), guest(2))))

    assert [o.result for o in outcomes] == [Result.FAILED, Result.FAILED]
