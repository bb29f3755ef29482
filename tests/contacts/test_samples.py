"""The demo's sample lists: four networks' exports in four shapes, imported as they come."""

from __future__ import annotations

import codecs
import re
import runpy
from pathlib import Path

from sqlalchemy import func, select

from contacts.imports import import_contacts
from contacts.models import Contact, MailingList, Membership
from contacts.parsing import read_table

SAMPLES = Path(__file__).resolve().parents[2] / "contacts" / "samples"
FILES = {
    "CNCRES": "cncres.csv",
    "COORACE": "coorace.xlsx",
    "RTES": "rtes.csv",
    "MES": "mes.csv",
}
# Worked out by make_samples.py when it wrote the files, for this order of import.
EXPECTED = {
    "CNCRES": {
        "rows": 40, "created": 36, "updated": 0, "unchanged": 0, "merged_duplicates": 1,
        "suppressed": 0, "rejected": 3, "added_to_list": 36,
    },
    "COORACE": {
        "rows": 41, "created": 31, "updated": 6, "unchanged": 0, "merged_duplicates": 1,
        "suppressed": 0, "rejected": 3, "added_to_list": 37,
    },
    "RTES": {
        "rows": 34, "created": 19, "updated": 3, "unchanged": 9, "merged_duplicates": 1,
        "suppressed": 0, "rejected": 2, "added_to_list": 31,
    },
    "MES": {
        "rows": 40, "created": 25, "updated": 2, "unchanged": 9, "merged_duplicates": 1,
        "suppressed": 0, "rejected": 3, "added_to_list": 36,
    },
}  # fmt: skip
DISTINCT_CONTACTS = 111
MEMBERSHIPS = 36 + 37 + 31 + 36
ON_SEVERAL_LISTS = 22


def test_each_file_is_in_the_shape_its_network_sends():
    cncres = (SAMPLES / "cncres.csv").read_bytes()
    assert not cncres.startswith(codecs.BOM_UTF8)
    assert cncres.startswith("Courriel;Prénom;Nom;Structure;Fonction;Région\r\n".encode("cp1252"))
    cncres.decode("cp1252")
    rtes = (SAMPLES / "rtes.csv").read_bytes()
    assert rtes.startswith(codecs.BOM_UTF8 + b"Email,First Name,Last Name,Organization,Job Title")
    mes = (SAMPLES / "mes.csv").read_bytes()
    assert mes.startswith(b"Adresse e-mail\tNom complet\tOrganisme\tPoste\n")
    found = {
        network: read_table(SAMPLES / name) for network, name in FILES.items()
    }  # fmt: skip
    assert [(t.format, t.encoding, t.delimiter) for t in found.values()] == [
        ("csv", "cp1252", ";"),
        ("xlsx", None, None),
        ("csv", "utf-8-sig", ","),
        ("csv", "utf-8", "\t"),
    ]
    coorace = found["COORACE"]
    assert (coorace.sheet, coorace.header_row) == ("Adhérents", 3)
    assert set(coorace.mapping.values()) == {
        "email", "first_name", "last_name", "organisation", "role", "region", "phone",
    }  # fmt: skip
    assert found["MES"].mapping["Nom complet"] == "full_name"


def _texts() -> dict[str, str]:
    import openpyxl

    texts = {
        "cncres.csv": (SAMPLES / "cncres.csv").read_text(encoding="cp1252"),
        "rtes.csv": (SAMPLES / "rtes.csv").read_text(encoding="utf-8-sig"),
        "mes.csv": (SAMPLES / "mes.csv").read_text(encoding="utf-8"),
    }
    workbook = openpyxl.load_workbook(SAMPLES / "coorace.xlsx", read_only=True)
    texts["coorace.xlsx"] = "\n".join(
        str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True)
        for value in row if value is not None
    )  # fmt: skip
    workbook.close()
    return texts


def test_every_address_is_on_a_reserved_domain():
    reserved = {"example.org", "example.fr", "example.net"}
    for name, text in _texts().items():
        domains = re.findall(r"@+([\w-]+(?:\.[\w-]+)*)", text)
        assert len(domains) > 30, name
        for domain in domains:
            # "example" is the start of the addresses broken on purpose: "x@example,org"…
            assert domain.lower() in reserved or domain == "example", name


def test_the_four_lists_import_with_the_expected_counts(db, settings):
    reports = {
        network: import_contacts(db, settings, SAMPLES / name, network)
        for network, name in FILES.items()
    }
    assert {network: report.summary() for network, report in reports.items()} == EXPECTED
    assert all(len(r.errors) == r.rejected for r in reports.values())
    assert any("likely the same person" in w for w in reports["MES"].warnings)
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == DISTINCT_CONTACTS
        assert session.scalar(select(func.count()).select_from(MailingList)) == 4
        assert session.scalar(select(func.count()).select_from(Membership)) == MEMBERSHIPS
        per_contact = (
            select(Membership.contact_id)
            .group_by(Membership.contact_id)
            .having(func.count() > 1)
            .subquery()
        )
        assert session.scalar(select(func.count()).select_from(per_contact)) == ON_SEVERAL_LISTS


def test_importing_them_again_changes_nothing(db, settings):
    for network, name in FILES.items():
        import_contacts(db, settings, SAMPLES / name, network)
    for network, name in FILES.items():
        again = import_contacts(db, settings, SAMPLES / name, network)
        assert (again.created, again.updated, again.added_to_list) == (0, 0, 0)
        assert again.unchanged == EXPECTED[network]["added_to_list"]


def test_the_script_writes_the_same_files_and_counts(tmp_path):
    script = runpy.run_path(str(SAMPLES / "make_samples.py"), run_name="make_samples")
    expected = script["main"](tmp_path)
    for name in FILES.values():
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
    counts = {
        network: {**report, "suppressed": 0} for network, report in expected["reports"].items()
    }
    assert counts == EXPECTED
    assert (expected["contacts"], expected["on_several_lists"]) == (
        DISTINCT_CONTACTS,
        ON_SEVERAL_LISTS,
    )
