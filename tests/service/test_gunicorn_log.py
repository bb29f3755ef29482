"""The access log never holds a personal token."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from service.gunicorn_conf import RedactingLogger


def test_access_log_writes_personal_links_without_their_token():
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "POST", "RAW_URI": "/r/WyJhYmMiLDFd.sig/register?lang=en",
        "PATH_INFO": "/r/WyJhYmMiLDFd.sig/register", "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "lang=en",
    }  # fmt: skip
    atoms = logger.atoms(
        SimpleNamespace(status="303 SEE OTHER", sent=0, headers=[]),
        SimpleNamespace(headers=[]),
        environ,
        timedelta(0),
    )
    assert atoms["r"] == "POST /r/…/register?lang=en HTTP/1.1"
    assert atoms["U"] == "/r/…/register"
    assert "WyJhYmMiLDFd" not in repr(atoms)
