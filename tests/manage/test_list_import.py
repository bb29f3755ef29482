"""Importing a network's list in the back office: the file read and shown, its columns mapped,
every row checked by the worker's service, the refused rows named by row and column, the valid
ones imported; the same file again changes nothing and says so; a list's mapping is remembered;
a file that cannot be read stores nothing."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from contacts import uploads
from contacts.models import Contact, ImportState, ListImport, MailingList, Membership
from service.audit.models import AuditEntry
from service.queue import IMPORT_TASK
from tests.helpers import published
from tests.manage.clients import csrf_token, sign_in

SAMPLES = Path(__file__).parents[2] / "contacts" / "samples"
# A French Excel export: cp1252, ';', a title row above the header, two bad rows.
TITLED = (
    "Annuaire du réseau;;;\r\n"
    "Courriel pro;Prénom;Nom;Structure\r\n"
    "claire.dupont@example.fr;Claire;Dupont;CRESS Hauts-de-France\r\n"
    "pas-une-adresse;Karim;Benali;Le Labo\r\n"
    "ines.caron@example.fr;Inès;Caron;CRESS Pays de la Loire\r\n"
    ";Jean;Sans Adresse;Nulle part\r\n"
).encode("cp1252")


@pytest.fixture
def organiser(client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


def upload(client, data: bytes, name: str = "annuaire.csv", list_name: str = "CNCRES"):
    form = {
        "csrf_token": csrf_token(client, "/manage/lists/import"),
        "list": list_name,
        "network": "CRESS",
        "file": (io.BytesIO(data), name),
    }
    # A large body is spooled to a file, which werkzeug's test client leaves open: closed here.
    builder = EnvironBuilder(path="/manage/lists/import", method="POST", data=form)
    request = builder.get_request()
    try:
        return client.open(request)
    finally:
        request.environ["wsgi.input"].close()
        builder.close()


def import_id_of(answer) -> int:
    assert answer.status_code == 302, answer.text
    return int(re.fullmatch(r"/manage/imports/(\d+)", answer.headers["Location"]).group(1))


def step(client, import_id: int, op: str, **fields: str):
    token = csrf_token(client, f"/manage/imports/{import_id}")
    return client.post(
        f"/manage/imports/{import_id}", data={"csrf_token": token, "op": op, **fields}
    )


def run_worker(db, settings, import_id: int) -> str:
    """What the worker's task does with the upload."""
    return uploads.run(db, settings, import_id)


def mapping_form(columns_of: dict[str, str]) -> dict[str, str]:
    return {f"field-{name}": column for name, column in columns_of.items()}


def test_a_file_is_read_and_shown_before_anything_is_imported(db, organiser):
    import_id = import_id_of(upload(organiser, TITLED))
    page = unescape(organiser.get(f"/manage/imports/{import_id}").text)
    assert "cp1252" in page
    assert "point-virgule" in page
    assert re.search(r"Ligne des titres</dt><dd>2<", page)
    assert "Courriel pro" in page
    assert "claire.dupont@example.fr" in page
    # The address column was recognised and is chosen already.
    assert re.search(r'<option value="Courriel pro" selected>', page)
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0
        assert session.scalar(select(func.count()).select_from(MailingList)) == 0


def test_checking_names_each_refused_row_then_the_valid_ones_are_imported(db, settings, organiser):
    import_id = import_id_of(upload(organiser, TITLED))
    chosen = {"email": "Courriel pro", "first_name": "Prénom", "last_name": "Nom",
              "organisation": "Structure"}  # fmt: skip
    with published() as tasks:
        answer = step(organiser, import_id, "check", sheet="", **mapping_form(chosen))
    assert answer.status_code == 302
    assert tasks == [IMPORT_TASK]
    progress = organiser.get(f"/manage/imports/{import_id}/progress")
    assert "Vérification de chaque ligne" in progress.text

    assert run_worker(db, settings, import_id) == "checked"
    assert organiser.get(f"/manage/imports/{import_id}/progress").headers["HX-Refresh"] == "true"
    page = unescape(organiser.get(f"/manage/imports/{import_id}").text)
    assert "2 lignes refusées" in page
    assert '<th scope="row">4</th><td>Courriel pro</td><td>adresse email invalide (' in page
    assert '<th scope="row">6</th><td>Courriel pro</td><td>pas d’adresse email</td>' in page
    assert "Importer 2 contacts" in page
    errors = organiser.get(f"/manage/imports/{import_id}/errors.csv")
    lines = errors.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Ligne;Colonne;Problème"
    assert lines[2] == "6;Courriel pro;pas d’adresse email"
    assert lines[1].startswith("4;Courriel pro;adresse email invalide (")
    with db.transaction(write=False) as session:
        assert (
            session.scalar(select(func.count()).select_from(Contact)) == 0
        )  # a check writes nothing

    with published() as tasks:
        assert step(organiser, import_id, "import").status_code == 302
    assert tasks == [IMPORT_TASK]
    assert run_worker(db, settings, import_id) == "done"
    page = unescape(organiser.get(f"/manage/imports/{import_id}").text)
    assert "2 contacts ajoutés à la liste." in page
    with db.transaction(write=False) as session:
        names = session.scalars(select(Contact.organisation).order_by(Contact.email)).all()
        assert names == ["CRESS Hauts-de-France", "CRESS Pays de la Loire"]
        mailing_list = session.scalar(select(MailingList))
        assert (mailing_list.name, mailing_list.network) == ("CNCRES", "CRESS")
        assert mailing_list.imported_at is not None
        assert session.get(ListImport, import_id).data == b""  # personal data not kept
        assert "list.import" in session.scalars(select(AuditEntry.action)).all()


def test_the_same_file_again_changes_nothing_and_says_so(db, settings, organiser):
    data = (SAMPLES / "cncres.csv").read_bytes()
    for round_ in range(2):
        import_id = import_id_of(upload(organiser, data, "cncres.csv"))
        step(organiser, import_id, "check", sheet="", **mapping_form({"email": "Courriel"}))
        run_worker(db, settings, import_id)
        step(organiser, import_id, "import")
        run_worker(db, settings, import_id)
        page = unescape(organiser.get(f"/manage/imports/{import_id}").text)
        if round_ == 0:
            assert "36 contacts ajoutés à la liste." in page
    assert "Rien n’a changé\u00a0: ces 36 contacts étaient déjà sur la liste, à jour." in page
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Membership)) == 36


def test_a_field_left_without_its_column_is_not_imported(db, settings, organiser):
    import_id = import_id_of(upload(organiser, TITLED))
    chosen = {"email": "Courriel pro", "first_name": "Prénom", "last_name": "Nom"}
    step(organiser, import_id, "check", sheet="", **mapping_form(chosen))  # Structure: no field
    run_worker(db, settings, import_id)
    step(organiser, import_id, "import")
    run_worker(db, settings, import_id)
    with db.transaction(write=False) as session:
        contact = session.scalar(select(Contact).where(Contact.email == "claire.dupont@example.fr"))
        assert contact.organisation == ""
        assert contact.extra == {"Structure": "CRESS Hauts-de-France"}  # kept, as extra data


def test_a_mapping_without_the_address_column_is_refused_naming_the_field(db, organiser):
    import_id = import_id_of(upload(organiser, TITLED))
    answer = step(organiser, import_id, "check", sheet="", **mapping_form({"first_name": "Prénom"}))
    assert answer.status_code == 422
    assert "Adresse email : Choisissez la colonne des adresses email." in unescape(answer.text)
    twice = {"email": "Courriel pro", "first_name": "Nom", "last_name": "Nom"}
    answer = step(organiser, import_id, "check", sheet="", **mapping_form(twice))
    assert answer.status_code == 422
    assert "Nom : Cette colonne est déjà choisie pour un autre champ." in unescape(answer.text)
    with db.transaction(write=False) as session:
        assert session.get(ListImport, import_id).state is ImportState.UPLOADED


def test_a_list_remembers_the_columns_chosen_for_its_last_file(db, settings, organiser):
    import_id = import_id_of(upload(organiser, TITLED))
    chosen = {"email": "Courriel pro", "first_name": "Nom", "last_name": "Prénom"}  # swapped
    step(organiser, import_id, "check", sheet="", **mapping_form(chosen))
    run_worker(db, settings, import_id)
    step(organiser, import_id, "import")
    run_worker(db, settings, import_id)
    again = import_id_of(upload(organiser, TITLED))
    page = organiser.get(f"/manage/imports/{again}").text
    first_name = page.split('id="field-first_name"')[1].split("</select>")[0]
    assert '<option value="Nom" selected>' in first_name
    other = import_id_of(upload(organiser, TITLED, list_name="RTES"))  # another list: guesses
    first_name = organiser.get(f"/manage/imports/{other}").text.split('id="field-first_name"')[1]
    assert '<option value="Prénom" selected>' in first_name.split("</select>")[0]


def test_a_workbook_sheet_is_chosen_on_the_page(db, settings, organiser):
    import_id = import_id_of(upload(organiser, (SAMPLES / "coorace.xlsx").read_bytes(), "c.xlsx"))
    page = unescape(organiser.get(f"/manage/imports/{import_id}").text)
    assert "Excel (.xlsx)" in page
    assert 'id="sheet"' in page
    assert re.search(r"Ligne des titres</dt><dd>3<", page)
    with db.transaction(write=False) as session:
        sheets = uploads.detected(settings, session.get(ListImport, import_id)).sheets
    answer = step(organiser, import_id, "map", sheet=sheets[1], **mapping_form({"email": ""}))
    assert answer.status_code in (302, 422)
    # A sheet without addresses cannot be read as a list: the page says so, nothing changes.
    with db.transaction(write=False) as session:
        assert session.get(ListImport, import_id).sheet == sheets[0]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "Ce fichier ne peut pas être lu"),
        (b"nom;prenom\nDupont;Claire\n", "Ce fichier ne peut pas être lu"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "xls"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_and_nothing_is_kept(db, organiser, data, words):
    answer = upload(organiser, data, "liste.csv")
    assert answer.status_code == 422
    assert words in unescape(answer.text)
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(ListImport)) == 0


def test_a_file_larger_than_other_requests_may_be_is_read(db, organiser):
    rows = "".join(f"personne{i:06d}@example.org;Personne;{i}\r\n" for i in range(80_000))
    data = ("Courriel;Prénom;Nom\r\n" + rows).encode("cp1252")
    assert len(data) > 2 * 1024 * 1024  # the app-wide limit of a request body
    import_id_of(upload(organiser, data, "grande-liste.csv"))


def test_an_upload_without_a_list_name_or_a_file_names_the_field(organiser):
    answer = upload(organiser, TITLED, list_name="  ")
    assert answer.status_code == 422
    assert 'id="list-error"' in answer.text
    form = {"csrf_token": csrf_token(organiser, "/manage/lists/import"), "list": "CNCRES"}
    answer = organiser.post("/manage/lists/import", data=form)
    assert answer.status_code == 422
    assert 'id="file-error"' in answer.text


def test_a_comms_account_sees_an_import_and_cannot_run_it(db, client, factory, organiser):
    import_id = import_id_of(upload(organiser, TITLED))
    organiser.post("/manage/logout", data={"csrf_token": csrf_token(organiser, "/manage/")})
    sign_in(client, "comms@example.org", factory.user("comms@example.org", "comms"))
    page = client.get(f"/manage/imports/{import_id}")
    assert page.status_code == 200
    assert 'name="op"' not in page.text
    token = csrf_token(client, "/manage/lists")
    answer = client.post(f"/manage/imports/{import_id}", data={"op": "check", "csrf_token": token})
    assert answer.status_code == 403
    assert client.get("/manage/lists/import").status_code == 403
