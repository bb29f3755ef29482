"""The checked rows of an import, kept by address in a temporary SQLite file between reading the
file and writing to the database, so that memory stays flat in the file's size.

Rows of one address merge as they arrive (CleanContact.fill_from: the first row's values first),
in memory for the last few thousand addresses and then in the file. In a dry run the file also
keeps the names that new or renamed contacts would carry, for the likely-duplicates check. The
file lives in a directory of its own, removed when the import ends.
"""

from __future__ import annotations

import dataclasses
import json
import marshal
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from contacts.cleaning import CleanContact
from contacts.duplicates import Person

BATCH = 2000  # addresses merged in memory before they go to the file
STORED = [f.name for f in dataclasses.fields(CleanContact) if f.name != "email"]
SCHEMA = """
CREATE TABLE contact (
    position INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, fields BLOB NOT NULL
);
CREATE TABLE person (
    email TEXT PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
    organisation TEXT NOT NULL
);
"""


# marshal: the file is written and read by this process only, within one import, and marshal is
# several times faster than JSON both ways.
def _dump(contact: CleanContact) -> bytes:
    return marshal.dumps(tuple([getattr(contact, name) for name in STORED]))


def _load(email: str, fields: bytes) -> CleanContact:
    return CleanContact(email, *marshal.loads(fields))  # noqa: S302 (our own scratch file)


class Staging:
    """Checked contacts by address, in the order their address first appeared, on disk."""

    def __init__(self, folder: Path | None = None):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self._folder = tempfile.TemporaryDirectory(prefix="import-staging-", dir=folder)
        self._db = sqlite3.connect(Path(self._folder.name) / "staging.sqlite")
        # A scratch file: nothing to recover after a crash, so no journal and no fsync; and a
        # small page cache, so that its memory stays small however many rows it holds.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8192"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.executescript(SCHEMA)
        self._pending: dict[str, CleanContact] = {}

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Remove the file."""
        self._db.close()
        self._folder.cleanup()

    def add(self, contact: CleanContact) -> None:
        """Keep a checked row; a row of an address already kept completes it."""
        earlier = self._pending.get(contact.email)
        if earlier is not None:
            earlier.fill_from(contact)
            return
        self._pending[contact.email] = contact
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        """The addresses merged in memory, merged into the file in turn."""
        if not self._pending:
            return
        stored = self._db.execute(
            "SELECT email, fields FROM contact WHERE email IN (SELECT value FROM json_each(?))",
            (json.dumps(list(self._pending)),),
        )
        earlier = {email: _load(email, fields) for email, fields in stored}
        updates, inserts = [], []
        for email, contact in self._pending.items():
            if email in earlier:
                earlier[email].fill_from(contact)
                updates.append((_dump(earlier[email]), email))
            else:
                inserts.append((email, _dump(contact)))
        with self._db:
            self._db.executemany("UPDATE contact SET fields = ? WHERE email = ?", updates)
            self._db.executemany("INSERT INTO contact (email, fields) VALUES (?, ?)", inserts)
        self._pending.clear()

    def __len__(self) -> int:
        self._flush()
        return int(self._db.execute("SELECT count(*) FROM contact").fetchone()[0])

    def __contains__(self, email: object) -> bool:
        self._flush()
        found = self._db.execute("SELECT 1 FROM contact WHERE email = ?", (email,))
        return found.fetchone() is not None

    def batches(self, size: int | Callable[[], int]) -> Iterator[list[CleanContact]]:
        """The contacts kept, `size` at a time (asked again before each batch when a function),
        in the order their address first appeared."""
        self._flush()
        query = "SELECT position, email, fields FROM contact WHERE position > ? ORDER BY 1 LIMIT ?"
        for page in self._pages(query, 0, size):
            yield [_load(email, fields) for _, email, fields in page]

    def discard(self, emails: Iterable[str]) -> None:
        """Forget these addresses (suppressed ones)."""
        with self._db:
            self._db.executemany("DELETE FROM contact WHERE email = ?", ((e,) for e in emails))

    def keep_people(self, people: Iterable[Person]) -> None:
        """Remember the names these contacts would carry once written (a dry run)."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO person VALUES (?, ?, ?, ?)", people)

    def people(self, size: int = BATCH) -> Iterator[Person]:
        """The names remembered by keep_people, address by address."""
        query = "SELECT * FROM person WHERE email > ? ORDER BY 1 LIMIT ?"
        for page in self._pages(query, "", size):
            yield from page

    def _pages(self, query: str, start: Any, size: int | Callable[[], int]) -> Iterator[list[Any]]:
        """The rows of a query keyed on its first column, a page at a time, each page read
        whole before it is handed out, so that the caller may change the table in between."""
        limit = size if callable(size) else (lambda: size)
        while rows := self._db.execute(query, (start, limit())).fetchall():
            start = rows[-1][0]
            yield rows
