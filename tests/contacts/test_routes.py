"""Importing through the API: upload, preview, then confirm."""

from __future__ import annotations

import io
from dataclasses import replace

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from contacts.models import Contact
from service import create_app

EXPORT = "Courriel;Prénom;Nom\r\nclaire@example.org;Claire;Martin\r\nnope;Jean;Dupont\r\n".encode(
    "cp1252"
)


def upload(client, auth, data=EXPORT, **form):
    form = {"list": "CNCRES", **form, "file": FileStorage(io.BytesIO(data), "cncres.csv")}
    # Encoded here, in memory: the test client would put a body over 500 kB in a temporary
    # file that it never closes.
    boundary, body = encode_multipart(form)
    return client.post(
        "/api/v1/imports",
        data=body,
        headers=auth,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_upload_previews_then_confirm_imports(client, auth):
    answer = upload(client, auth)
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["encoding"], body["delimiter"]) == ("cp1252", ";")
    assert body["mapping"] == {"Courriel": "email", "Prénom": "first_name", "Nom": "last_name"}
    assert body["preview"][0]["first_name"] == "Claire"
    dry = client.post(
        f"/api/v1/imports/{body['upload_id']}/confirm?dry_run=1", headers=auth
    ).get_json()
    assert dry["summary"]["created"] == 1
    done = client.post(f"/api/v1/imports/{body['upload_id']}/confirm", headers=auth).get_json()
    assert (done["summary"]["created"], done["summary"]["rejected"]) == (1, 1)
    assert done["errors"] == [
        {"row": 3, "column": "Courriel", "reason": done["errors"][0]["reason"]}
    ]
    again = client.post(f"/api/v1/imports/{body['upload_id']}/confirm", headers=auth)
    assert again.status_code == 404  # imported uploads are not kept


def test_bad_uploads_get_clear_errors(client, auth):
    assert upload(client, auth, data=bytes(range(256)) * 4).status_code == 422
    assert upload(client, auth, map="{oops").get_json()["errors"] == [
        'map: a JSON object {"column": "field"}'
    ]
    assert upload(client, auth, list="").status_code == 422
    unknown = upload(client, auth, map='{"Courriel": "mail"}')
    assert unknown.status_code == 422
    assert "mail" in unknown.get_json()["message"]
    for upload_id in ("nope", "..", "%2e%2e", "0" * 24):
        assert client.post(f"/api/v1/imports/{upload_id}/confirm", headers=auth).status_code == 404
    assert client.post("/api/v1/imports", headers=auth).status_code == 400
    assert client.post("/api/v1/imports").status_code == 401


def export_of(rows: int) -> bytes:
    """A cp1252 `;` export of `rows` people, about 80 bytes a row."""
    lines = ["Courriel;Prénom;Nom;Structure;Fonction;Région;Téléphone"]
    lines += [
        f"p{i}@exemple.fr;Hélène;Dupré {i};Scop n°{i % 97};Gérante;Occitanie;06 12 34 56 78"
        for i in range(rows)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def count_contacts(db) -> int:
    with db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Contact))


def test_an_ordinary_3_mb_export_of_45000_rows_is_uploaded_and_imported(client, auth, db):
    data = export_of(45_000)
    assert len(data) > 3_000_000  # more than the 2 MB the rest of the API takes
    answer = upload(client, auth, data=data)
    assert answer.status_code == 201, answer.get_json()
    upload_id = answer.get_json()["upload_id"]
    done = client.post(f"/api/v1/imports/{upload_id}/confirm", headers=auth).get_json()
    assert (done["summary"]["created"], done["summary"]["rejected"]) == (45_000, 0)
    assert count_contacts(db) == 45_000


def test_an_upload_over_import_max_mb_is_refused_413_saying_the_limit(db, settings, auth):
    app = create_app(replace(settings, upload_max_bytes=1024 * 1024))
    app.config["TESTING"] = True
    imports = settings.var_dir / "imports"
    before = set(imports.iterdir()) if imports.exists() else set()
    try:
        answer = upload(app.test_client(), auth, data=export_of(20_000))  # 1.6 MB
    finally:
        app.extensions["convier.db"].dispose()
    assert answer.status_code == 413
    said = (
        "the upload is larger than 1 MB, the most an import takes (setting "
        "IMPORT_MAX_MB); save the list as CSV, which is smaller, or split it"
    )
    assert answer.get_json() == {
        "type": "about:blank",
        "title": "Request Entity Too Large",
        "status": 413,
        "detail": said,
        "error": "too_large",
        "message": said,
    }
    assert (set(imports.iterdir()) if imports.exists() else set()) == before  # nothing kept


def test_dry_run_takes_only_true_false_1_or_0(client, auth, db):
    upload_id = upload(client, auth).get_json()["upload_id"]
    confirm = f"/api/v1/imports/{upload_id}/confirm"
    for python_true in ("True", "yes", "on", ""):
        refused = client.post(f"{confirm}?dry_run={python_true}", headers=auth)
        assert refused.status_code == 422
        assert refused.get_json()["errors"] == [
            f"dry_run: expected true, false, 1 or 0, got {python_true!r}"
        ]
    assert count_contacts(db) == 0
    dry = client.post(f"{confirm}?dry_run=true", headers=auth).get_json()
    assert (dry["dry_run"], dry["summary"]["created"], dry["summary"]["rejected"]) == (True, 1, 1)
    assert count_contacts(db) == 0
    done = client.post(f"{confirm}?dry_run=false", headers=auth).get_json()
    assert (done["dry_run"], done["summary"]) == (False, dry["summary"])
    assert count_contacts(db) == 1


def test_the_preview_stays_small_whatever_the_cells_hold(client, auth):
    long = "x" * 30_000  # within a spreadsheet cell's 32,767 characters
    data = f"Courriel;{long};Nom\r\n{long}@x.fr;a;{long}\r\n".encode()
    answer = upload(client, auth, data=data)
    assert answer.status_code == 201
    body = answer.get_json()
    assert len(answer.data) < 2000
    assert body["preview"][0]["last_name"] == "x" * 99 + "…"
    assert body["columns"][1] == "x" * 99 + "…"


def test_a_cell_longer_than_a_spreadsheet_allows_is_refused_at_upload(client, auth):
    data = f"Courriel;Nom\r\na@x.fr;{'x' * 40_000}\r\n".encode()
    answer = upload(client, auth, data=data)
    assert answer.status_code == 422
    assert answer.get_json()["message"].startswith(
        "row 2, column 'Nom': the cell holds 40,000 characters"
    )


def test_an_oversized_field_beside_the_file_is_refused_413_saying_which(client, auth):
    answer = upload(client, auth, map="{" + " " * 600_000 + "}")
    assert answer.status_code == 413
    assert answer.get_json()["message"] == (
        "the fields beside the file are too long or too many (at most 500,000 bytes each)"
    )
