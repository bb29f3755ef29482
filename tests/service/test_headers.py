"""Every answer forbids inline scripts, framing and content sniffing."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/", 200),
        ("get", "/nowhere", 404),
        ("get", "/r/forged-token", 404),
        ("get", "/r/forged-token/register", 405),
        ("get", "/api/v1/events", 401),
        ("get", "/healthz", 200),
    ],
)
def test_every_answer_carries_the_security_headers(client, method, path, status):
    answer = getattr(client, method)(path)
    assert answer.status_code == status
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script_or_style(db, factory, client):
    person = factory.invitees(factory.event(), 1)[0]
    page = client.get(f"/r/{person.token}").get_data(as_text=True)
    assert "<script" not in page
    assert "style=" not in page
    assert "<style" not in page
