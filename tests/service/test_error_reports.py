"""With SENTRY_DSN set, an unexpected error reaches Sentry (here a stand-in on 127.0.0.1) even
though the error page handled it, with nothing personal in the report."""

from __future__ import annotations

import os
import subprocess
import sys

from service.error_reports import scrub
from tests.servers import ROOT
from tests.standins.sentry import SentryStandIn

# A web process of its own: Sentry's integrations patch Flask for the life of a process.
FAILING_REQUEST = """
import sentry_sdk
from service import create_app
from service.error_reports import init_error_reports

app = create_app()
assert init_error_reports(app.extensions["convier.settings"])

@app.get("/r/<token>/boom")
def boom(token):
    raise RuntimeError("no seat for claire.martin@example.org")

answer = app.test_client().get("/r/WyJhYmMiLDFd.sig/boom?lang=fr", headers={"Cookie": "s=1"})
print(answer.status_code)
sentry_sdk.flush(10)
"""


def test_an_unexpected_error_is_reported_without_personal_data():
    with SentryStandIn() as sentry:
        env = {**os.environ, "SENTRY_DSN": sentry.dsn, "PYTHONPATH": str(ROOT)}
        ran = subprocess.run(
            [sys.executable, "-c", FAILING_REQUEST], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=120, check=False,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.strip() == "500"  # the error page, and still reported
        [event] = sentry.received
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "no seat for …@…")
    assert event["request"]["url"].endswith("/r/…/boom")
    report = repr(event)
    assert "WyJhYmMiLDFd" not in report
    assert "claire.martin" not in report
    assert "cookies" not in event["request"]


def test_scrub_reaches_every_string():
    assert scrub({"a": ["/u/abc.def", ("x@y.org",)], "n": 3}) == {"a": ["/u/…", ["…@…"]], "n": 3}
