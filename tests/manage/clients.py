"""Signing a test client in to the back office, as a browser does."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/manage/login") -> str:
    """The CSRF token of the form on `path`."""
    match = CSRF_FIELD.search(client.get(path).text)
    assert match is not None, f"no form on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str) -> None:
    """Sign `client` in by password; fails the test when refused."""
    answer = client.post(
        "/manage/login",
        data={"csrf_token": csrf_token(client), "email": email, "password": password},
    )
    assert answer.status_code == 302, answer.text
