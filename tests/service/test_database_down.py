"""With the database stopped, every request gets the 503 page with Retry-After, and the log says
so once, not once per request."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from service import create_app
from service.security import Purpose, make_token
from tests.servers import free_port

UNREACHABLE = {
    "postgresql": lambda tmp_path: f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test",
    "sqlite": lambda tmp_path: f"sqlite:///{tmp_path / 'missing-folder' / 'convier.sqlite'}",
}


@pytest.mark.parametrize("kind", sorted(UNREACHABLE))
def test_every_request_gets_503_and_the_outage_is_logged_once(settings, tmp_path, caplog, kind):
    app = create_app(replace(settings, database_url=UNREACHABLE[kind](tmp_path)))
    app.config["WTF_CSRF_ENABLED"] = False  # no page can be shown to give a form's token
    client = app.test_client()
    token = make_token(settings.signing_keys, Purpose.INVITATION, "a-public-id")
    caplog.set_level(logging.INFO)
    answers = [
        client.get(f"/r/{token}"),
        client.post(f"/r/{token}/register"),
        client.get("/api/v1/events", headers={"Authorization": "Bearer cvr_x"}),
        client.get(f"/r/{token}"),
    ]
    assert [a.status_code for a in answers] == [503] * 4
    assert {a.headers["Retry-After"] for a in answers} == {"2"}
    assert "Le service est très sollicité" in answers[0].get_data(as_text=True)
    assert answers[2].get_json()["error"] == "busy"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in errors] == ["the database does not answer"]
    assert not any(r.exc_info for r in caplog.records)
    app.extensions["convier.db"].dispose()
