"""Importing through the API: upload, preview, then confirm."""

from __future__ import annotations

import io

import pytest

from service.api.services import create_token

EXPORT = "Courriel;Prénom;Nom\r\nclaire@example.org;Claire;Martin\r\nnope;Jean;Dupont\r\n".encode(
    "cp1252"
)


@pytest.fixture
def auth(db) -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {create_token(session, 'tests')}"}


def upload(client, auth, data=EXPORT, **form):
    form = {"list": "CNCRES", **form, "file": (io.BytesIO(data), "cncres.csv")}
    return client.post(
        "/api/v1/imports", data=form, headers=auth, content_type="multipart/form-data"
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
