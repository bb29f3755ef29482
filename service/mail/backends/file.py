"""The embedded default backend: each message becomes an .eml file under var/outbox/."""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from service.config import Settings
from service.mail.envelope import Batch, Outcome, Result, UnsafeHeader, unsent
from service.mail.mime import MessageRenderer, RenderedMessage


def write_atomically(directory: Path, name: str, data: bytes) -> Path:
    """Write `data` to directory/name so that a reader sees the whole file or none of it."""
    # The temporary name starts with a dot, so that a reader listing *.eml never sees it.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        path = directory / name
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def file_name(outbox_id: int, message: RenderedMessage) -> str:
    """The outbox row id, then the Message-ID without its angle brackets."""
    return f"{outbox_id}-{message.message_id.strip('<>')}.eml"


class FileBackend:
    """Writes one .eml per recipient instead of sending; the embedded default."""

    batch_size = 500

    def __init__(self, settings: Settings) -> None:
        self.outbox = settings.var_dir / "outbox"

    def send(self, batch: Batch, deadline: float = math.inf) -> list[Outcome]:
        """Write every recipient's message; one Outcome per recipient, in the same order."""
        try:
            renderer = MessageRenderer(batch.content)
        except UnsafeHeader as exc:
            return [Outcome(r.message_id, Result.FAILED, error=str(exc)) for r in batch.recipients]
        outcomes: list[Outcome] = []
        for number, recipient in enumerate(batch.recipients):
            if time.time() >= deadline:
                return outcomes + unsent(batch.recipients[number:])
            try:
                message = renderer.render(recipient)
            except UnsafeHeader as exc:
                outcomes.append(Outcome(recipient.message_id, Result.FAILED, error=str(exc)))
                continue
            try:
                self.outbox.mkdir(parents=True, exist_ok=True)
                write_atomically(
                    self.outbox, file_name(recipient.message_id, message), message.data
                )
            except OSError as exc:
                outcomes.append(Outcome(recipient.message_id, Result.RETRY, error=str(exc)))
                continue
            outcomes.append(Outcome(recipient.message_id, Result.SENT, message.message_id))
        return outcomes

    def close(self) -> None:
        """Nothing is kept open between batches."""

    def accepted_message_ids(self, message_ids: Iterable[int]) -> set[int]:
        """The outbox rows whose file was written (what the sweeper asks of a stuck row)."""
        wanted = set(message_ids)
        if not self.outbox.exists():
            return set()
        written = {int(path.name.split("-", 1)[0]) for path in self.outbox.glob("*-*.eml")}
        return wanted & written
