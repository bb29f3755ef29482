"""`/healthz` answers while the process runs; `/readyz` only when the database (at the expected
schema) and the broker answer, naming what does not."""

from __future__ import annotations

from dataclasses import replace

from service import create_app
from service.migrate import upgrade
from tests.servers import free_port


def readiness(settings):
    app = create_app(settings)
    try:
        answer = app.test_client().get("/readyz")
    finally:
        app.extensions["convier.db"].dispose()
    return answer.status_code, answer.get_json()


def test_ready_when_the_database_and_the_broker_answer(client, settings):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert readiness(settings) == (
        200,
        {"status": "ready", "checks": {"database": "ok", "broker": "ok"}},
    )


def test_not_ready_when_the_schema_is_behind(settings, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, "0003")
    status, body = readiness(replace(settings, database_url=url))
    assert status == 503
    assert body["checks"]["database"].endswith("run `convier db upgrade`")
    assert body["checks"]["broker"] == "ok"


def test_not_ready_when_the_database_or_the_broker_does_not_answer(settings, tmp_path):
    gone = f"sqlite:///{tmp_path / 'missing-folder' / 'convier.sqlite'}"
    status, body = readiness(replace(settings, database_url=gone))
    assert (status, body["status"]) == (503, "not ready")
    assert body["checks"]["database"].startswith("OperationalError: ")
    no_broker = replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    status, body = readiness(no_broker)
    assert status == 503
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"
