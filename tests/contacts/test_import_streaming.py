"""Large imports: memory flat in the file's size, rows kept on disk until written, writes in
short transactions that let other writers in, and a dry run that says what the import will do."""

from __future__ import annotations

import gc
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from contacts import imports, staging
from contacts.cleaning import CleanContact
from contacts.imports import CHUNK, MAX_LISTED_ERRORS, import_contacts
from contacts.models import Contact, MailingList, Membership, SuppressionReason
from contacts.services import get_or_create_contact
from contacts.staging import Staging
from contacts.suppression import suppress
from service.cli import main

HEADER = "Courriel;Prénom;Nom;Structure;Fonction;Région\r\n"


@pytest.fixture(autouse=True)
def chunks_of_one_size(monkeypatch):
    """Chunks of CHUNK contacts written one at a time on PostgreSQL too, so that these tests
    count the same chunks on both databases."""
    monkeypatch.setattr(imports, "POSTGRES_CHUNK", CHUNK)
    monkeypatch.setattr(imports, "CHUNK_WRITERS", 1)


def test_chunks_written_two_at_a_time_write_and_count_everyone_once(
    db, settings, tmp_path, monkeypatch
):
    monkeypatch.setattr(imports, "POSTGRES_CHUNK", 100)
    monkeypatch.setattr(imports, "CHUNK_WRITERS", 2)  # on PostgreSQL; SQLite writes one at a time
    import_contacts(db, settings, export(tmp_path / "known.csv", 250), "KNOWN")
    path = export(tmp_path / "list.csv", 1000)  # the 250 known ones among them
    report = import_contacts(db, settings, path, "BIG")
    assert (report.created, report.unchanged, report.added_to_list) == (750, 250, 1000)
    assert (count(db, Contact), count(db, Membership)) == (1000, 1250)
    again = import_contacts(db, settings, path, "BIG")
    assert (again.created, again.unchanged, again.added_to_list) == (0, 1000, 0)


def export(path: Path, rows: int, start: int = 0, bad_every: int = 0) -> Path:
    """A cp1252 `;` export of `rows` people (every `bad_every`-th address broken)."""
    with path.open("w", encoding="cp1252", newline="") as file:
        file.write(HEADER)
        for i in range(start, start + rows):
            email = f"p{i}@example.org" if not bad_every or i % bad_every else f"p{i}.example.org"
            file.write(f"{email};Hélène;Dupré {i};Scop n°{i % 97};Gérante;Occitanie\r\n")
    return path


def count(db, model) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def peak_bytes(db, settings, path: Path, list_name: str) -> int:
    """The most memory Python held at once while importing the file."""
    tracemalloc.start()
    try:
        import_contacts(db, settings, path, list_name)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_file_grows(db, settings, tmp_path, monkeypatch):
    # Chunks of one size whatever the machine's speed (on SQLite it follows the write time), and
    # once warm (caches of statements and mail domains filled): the peaks compare like for like.
    monkeypatch.setattr(imports, "CHUNK_RANGE", (CHUNK, CHUNK))
    import_contacts(db, settings, export(tmp_path / "warm.csv", 2000, start=900_000), "WARM")
    small = peak_bytes(db, settings, export(tmp_path / "small.csv", 2000), "SMALL")
    large = peak_bytes(db, settings, export(tmp_path / "large.csv", 20_000, start=10_000), "LARGE")
    assert count(db, Contact) == 2000 + 2000 + 20_000
    # Ten times the rows, the same chunks in memory at a time (holding every row: 7.5 times).
    assert large < 2 * small, f"peak {large:,} bytes for 20,000 rows, {small:,} for 2,000"


def test_each_chunk_is_committed_so_others_write_in_between(db, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_RANGE", (CHUNK, CHUNK))  # chunks of CHUNK, on SQLite too
    path = export(tmp_path / "big.csv", 3 * CHUNK + 500)
    seen_by_others: list[tuple[int, int]] = []

    def register_someone() -> int:
        """A registration's kind of write, from another thread and connection."""
        with db.transaction() as session:
            get_or_create_contact(session, f"late{len(seen_by_others)}@example.net")
            return session.scalar(select(func.count()).select_from(Contact)) or 0

    def progress(phase: str, done: int, total: int | None) -> None:
        if phase == "writing" and done < (total or 0):
            with ThreadPoolExecutor(1) as other:
                seen_by_others.append((done, other.submit(register_someone).result()))

    report = import_contacts(db, settings, path, "BIG", progress=progress)
    assert report.created == 3 * CHUNK + 500
    # Between chunks another writer gets in, and sees every chunk written so far, committed.
    assert seen_by_others == [(n * CHUNK, n * CHUNK + n) for n in (1, 2, 3)]
    assert count(db, Contact) == 3 * CHUNK + 500 + 3


def test_an_import_interrupted_while_writing_completes_when_run_again(db, settings, tmp_path):
    path = export(tmp_path / "big.csv", 2 * CHUNK + 10)

    frozen_during: list[int] = []

    def die_after_first_chunk(phase: str, done: int, total: int | None) -> None:
        if phase == "writing":
            frozen_during.append(gc.get_freeze_count())
            raise KeyboardInterrupt  # as if the process were stopped here

    with pytest.raises(KeyboardInterrupt):
        import_contacts(db, settings, path, "BIG", progress=die_after_first_chunk)
    # The objects set aside from the collector during the import are handed back, even so.
    assert frozen_during[0] > 0
    assert gc.get_freeze_count() == 0
    assert (count(db, Contact), count(db, Membership)) == (CHUNK, CHUNK)
    again = import_contacts(db, settings, path, "BIG")
    assert (again.created, again.unchanged, again.added_to_list) == (CHUNK + 10, CHUNK, CHUNK + 10)
    assert (count(db, Contact), count(db, Membership)) == (2 * CHUNK + 10, 2 * CHUNK + 10)


def test_refused_rows_beyond_those_listed_are_counted(db, settings, tmp_path):
    path = export(tmp_path / "bad.csv", 2 * MAX_LISTED_ERRORS + 200, bad_every=2)
    report = import_contacts(db, settings, path, "BAD")
    assert (report.rejected, len(report.errors)) == (MAX_LISTED_ERRORS + 100, MAX_LISTED_ERRORS)
    assert report.created == MAX_LISTED_ERRORS + 100
    assert [e.row for e in report.errors[:2]] == [2, 4]
    result = CliRunner().invoke(main, ["contacts", "import", str(path), "--list", "BAD"])
    assert "… and 1050 more rejected rows" in result.output


def test_duplicates_far_apart_in_the_file_merge_as_when_close(db, settings, tmp_path, monkeypatch):
    rows = [
        "claire@example.org;Claire;;CRESS;;",
        *(f"p{i}@example.org;P;{i};;;" for i in range(30)),
        "CLAIRE@example.org;Autre;Martin;Autre;Chargée de mission;",
        "claire@example.org;;;;;Bretagne",
    ]
    path = tmp_path / "dup.csv"
    path.write_text(HEADER + "\r\n".join(rows) + "\r\n", encoding="utf-8")
    monkeypatch.setattr(staging, "BATCH", 4)  # the repeats meet on disk, not in memory
    monkeypatch.setattr(imports, "CHUNK", 7)
    monkeypatch.setattr(imports, "POSTGRES_CHUNK", 7)
    report = import_contacts(db, settings, path, "DUP")
    assert (report.created, report.merged_duplicates) == (31, 2)
    with db.transaction(write=False) as session:
        claire = session.scalar(select(Contact).where(Contact.email == "claire@example.org"))
        assert (claire.first_name, claire.last_name, claire.organisation) == (
            "Claire",
            "Martin",
            "CRESS",
        )
        assert (claire.role, claire.region) == ("Chargée de mission", "Bretagne")


def test_staging_merges_in_order_whatever_the_batch(tmp_path, monkeypatch):
    rows = [
        CleanContact("a@x.fr", first_name="A", tags=["un"], extra={"k": "1"}),
        CleanContact("b@x.fr", last_name="B"),
        CleanContact("a@x.fr", first_name="Autre", last_name="Z", tags=["deux", "un"]),
        CleanContact("c@x.fr"),
        CleanContact("a@x.fr", region="R", tags=["trois"], extra={"k": "2", "j": "3"}),
    ]
    kept = []
    for batch in (1, 2, 100):
        monkeypatch.setattr(staging, "BATCH", batch)
        with Staging(tmp_path) as store:
            for row in rows:
                store.add(CleanContact(**vars(row)))
            kept.append([contact for page in store.batches(2) for contact in page])
    assert kept[0] == kept[1] == kept[2]
    assert [c.email for c in kept[0]] == ["a@x.fr", "b@x.fr", "c@x.fr"]
    assert kept[0][0] == CleanContact(
        "a@x.fr",
        first_name="A",
        last_name="Z",
        region="R",
        tags=["un", "deux", "trois"],
        extra={"k": "1", "j": "3"},
    )
    assert list(tmp_path.iterdir()) == []  # the staging file is gone


def test_dry_run_reports_what_the_import_then_does(db, settings, tmp_path):
    known = tmp_path / "known.csv"
    known.write_text(
        "email;prénom;nom;structure;téléphone\n"
        "claire@example.org;Claire;Martin;CRESS;\n"
        "karim@example.fr;Karim;Benali;PTCE;\n",
        encoding="utf-8",
    )
    import_contacts(db, settings, known, "A")
    with db.transaction() as session:
        suppress(session, settings, "sophie@example.net", SuppressionReason.UNSUBSCRIBED)
    path = tmp_path / "b.csv"
    path.write_text(
        "email;prénom;nom;structure;téléphone\n"
        "karim@example.fr;Karim;Benali;PTCE;06 12 34 56 78\n"  # updated: a phone
        "claire@example.org;Claire;Martin;CRESS;\n"  # unchanged
        "c.martin@example.fr;CLAIRE;MARTIN;cress;\n"  # created: a likely duplicate
        "new@example.net;Jean;Neuf;SCIC;\n"
        "new@example.net;;;;01 00 00 00 00\n"  # merged
        "sophie@example.net;Sophie;Lefèvre;MES;\n"  # suppressed
        "pas-une-adresse;Jean;Dupont;;\n",  # rejected
        encoding="utf-8",
    )
    dry = import_contacts(db, settings, path, "B", dry_run=True)
    assert (count(db, Contact), count(db, MailingList), count(db, Membership)) == (2, 1, 2)
    done = import_contacts(db, settings, path, "B")
    assert dry.summary() == done.summary() == {
        "rows": 7, "created": 2, "updated": 1, "unchanged": 1, "merged_duplicates": 1,
        "suppressed": 1, "rejected": 1, "added_to_list": 4,
    }  # fmt: skip
    assert dry.errors == done.errors
    assert (
        dry.warnings
        == done.warnings
        == [
            "likely the same person: c.martin@example.fr, claire@example.org (CLAIRE MARTIN, cress)"
        ]
    )


def test_a_dry_run_sees_the_names_an_import_would_fill_in(db, settings, tmp_path):
    known = tmp_path / "known.csv"
    known.write_text("email;structure\nanon@example.org;CRESS\n", encoding="utf-8")
    import_contacts(db, settings, known, "A")
    other = tmp_path / "other.csv"
    other.write_text("email;prénom;nom;structure\nclaire@example.org;Claire;Martin;CRESS\n")
    import_contacts(db, settings, other, "A")
    path = tmp_path / "b.csv"
    path.write_text("email;prénom;nom\nanon@example.org;Claire;Martin\n", encoding="utf-8")
    dry = import_contacts(db, settings, path, "B", dry_run=True)
    # The stored contact has no name yet: the warning comes from what the import would write.
    assert dry.warnings == [
        "likely the same person: anon@example.org, claire@example.org (Claire Martin, CRESS)"
    ]
    assert import_contacts(db, settings, path, "B").warnings == dry.warnings


def test_chunks_on_sqlite_are_sized_to_last_a_quarter_of_a_second():
    pace = imports._Pace(sqlite=True)
    assert pace.size() == CHUNK
    pace.record(1000, 0.05)  # fast: five times more next time
    assert pace.size() == 5000
    pace.record(5000, 2.5)  # slow: a tenth
    assert pace.size() == 500
    pace.record(500, 60.0)
    assert pace.size() == imports.CHUNK_RANGE[0]
    pace.record(500, 0.0)
    assert pace.size() == imports.CHUNK_RANGE[1]
    other = imports._Pace(sqlite=False)  # PostgreSQL: writers of other rows never wait
    other.record(1000, 0.05)
    assert other.size() == imports.POSTGRES_CHUNK
