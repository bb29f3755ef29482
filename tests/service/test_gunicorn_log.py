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


def test_the_inbound_parse_secret_and_tokens_stay_out_of_both_logs(capsys):
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "POST", "RAW_URI": "/webhooks/sendgrid/inbound/s3cr3t-0123456789",
        "PATH_INFO": "/webhooks/sendgrid/inbound/s3cr3t-0123456789",
        "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": "",
    }  # fmt: skip
    atoms = logger.atoms(
        SimpleNamespace(status="200 OK", sent=0, headers=[]),
        SimpleNamespace(headers=[]),
        environ,
        timedelta(0),
    )
    assert atoms["U"] == "/webhooks/sendgrid/inbound/…"
    logger.error("Error handling request %s", "/webhooks/sendgrid/inbound/s3cr3t-0123456789")
    logger.exception("Error handling request /r/WyJhYmMiLDFd.sig/register")
    written = capsys.readouterr().err
    assert "Error handling request /webhooks/sendgrid/inbound/…" in written
    assert "s3cr3t" not in written
    assert "WyJhYmMiLDFd" not in written
    assert "s3cr3t" not in repr(atoms)


def test_a_partner_report_link_stays_out_of_the_access_log():
    logger = RedactingLogger(Config())
    path = "/report/3/eyJsIjo0fQ.sig.csv"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path,
               "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": ""}  # fmt: skip
    answer = SimpleNamespace(status="200 OK", sent=0, headers=[])
    atoms = logger.atoms(answer, SimpleNamespace(headers=[]), environ, timedelta(0))
    assert atoms["U"] == "/report/3/…"
    assert "eyJsIjo0fQ" not in repr(atoms)
