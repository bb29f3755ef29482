"""Signing in to the back office over HTTP: by password, by link, out; sessions that end."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from service import create_app
from service.accounts import services
from service.accounts.models import User
from service.accounts.web import SESSION_HOURS, SESSION_KEY
from service.config import load_settings
from tests.conftest import TEST_ENV, close_app
from tests.manage.clients import csrf_token, sign_in

EMAIL = "claire@example.org"


def test_a_page_of_the_back_office_sends_strangers_to_sign_in(db, client):
    answer = client.get("/manage/events/1?q=x")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/manage/login?next=")
    assert answer.headers["Location"] == "/manage/login?next=/manage/events/1?q%3Dx"


def test_a_part_of_a_page_asked_for_after_the_session_ended_sends_htmx_to_sign_in(db, client):
    answer = client.get("/manage/events/1/seats", headers={"HX-Request": "true"})
    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"] == "/manage/login"


@pytest.mark.parametrize(
    ("asked", "landing"),
    [
        ("/manage/events/7", "/manage/events/7"),
        ("https://evil.example/", "/manage/"),
        ("//evil.example/manage/", "/manage/"),
        ("/r/token", "/manage/"),
    ],
)
def test_sign_in_goes_to_the_page_asked_for_inside_the_back_office_only(
    db, factory, client, asked, landing
):
    password = factory.user(EMAIL, "organiser")
    form = {"csrf_token": csrf_token(client), "email": EMAIL, "password": password}
    answer = client.post("/manage/login", data={**form, "next": asked})
    assert answer.headers["Location"] == landing


def test_a_wrong_password_is_refused_and_nothing_is_signed_in(db, factory, client):
    factory.user(EMAIL, "organiser")
    answer = client.post(
        "/manage/login",
        data={"csrf_token": csrf_token(client), "email": EMAIL, "password": "mauvais"},
    )
    assert answer.status_code == 401
    assert "Adresse ou mot de passe incorrect" in answer.text
    assert client.get("/manage/").status_code == 302


def test_sign_in_without_csrf_token_is_refused(db, factory, client):
    password = factory.user(EMAIL, "organiser")
    answer = client.post("/manage/login", data={"email": EMAIL, "password": password})
    assert answer.status_code == 400
    assert client.get("/manage/").status_code == 302


def test_sign_in_attempts_are_limited_per_address(db, factory):
    app = create_app(load_settings({**TEST_ENV, "RATE_LIMIT_SIGN_IN": "3 per minute"}))
    limiter = app.extensions["convier.limiter"]
    limiter.reset()  # counters left in Redis by an earlier run within the minute
    client = app.test_client()
    token = csrf_token(client)
    statuses = [
        client.post(
            "/manage/login", data={"csrf_token": token, "email": EMAIL, "password": "x"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    limiter.reset()
    close_app(app)


def test_sign_out_ends_the_session(db, factory, client):
    sign_in(client, EMAIL, factory.user(EMAIL, "organiser"))
    assert client.get("/manage/").status_code == 200
    client.post("/manage/logout", data={"csrf_token": csrf_token(client, "/manage/")})
    assert client.get("/manage/").status_code == 302


def test_a_session_ends_after_its_hours(db, factory, client):
    sign_in(client, EMAIL, factory.user(EMAIL, "organiser"))
    with client.session_transaction() as session:
        user_id, version, _ = session[SESSION_KEY]
        session[SESSION_KEY] = [user_id, version, int(time.time()) - SESSION_HOURS * 3600 - 1]
    assert client.get("/manage/").status_code == 302


def test_disabling_an_account_ends_its_sessions_at_once(db, factory, client):
    sign_in(client, EMAIL, factory.user(EMAIL, "organiser"))
    with db.transaction() as session:
        services.disable_user(session, services.find_user(session, EMAIL))
    assert client.get("/manage/").status_code == 302


def test_a_sign_in_link_page_changes_nothing_until_its_button(db, settings, factory, client):
    factory.user(EMAIL, "organiser")
    with db.transaction(write=False) as session:
        path = services.sign_in_link(settings, services.find_user(session, EMAIL))
    path = path.removeprefix(settings.base_url)
    for _ in range(2):  # a mail scanner, then the person
        page = client.get(path)
        assert page.status_code == 200
    with db.transaction(write=False) as session:
        assert session.scalar(select(User.last_sign_in_at)) is None
    assert client.get("/manage/").status_code == 302
    answer = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert answer.status_code == 302
    assert client.get("/manage/").status_code == 200
    assert client.get(path).status_code == 404  # used


@pytest.mark.parametrize(
    ("password", "confirmation", "message"),
    [
        ("court", "court", "Au moins 10 caractères."),
        ("une phrase assez longue", "une autre phrase", "Les deux mots de passe diffèrent."),
    ],
)
def test_a_new_account_chooses_a_valid_password(
    db, settings, client, password, confirmation, message
):
    with db.transaction() as session:
        user = services.create_user(session, EMAIL, services.Role.COMMS)
        path = services.sign_in_link(settings, user).removeprefix(settings.base_url)
    form = {"csrf_token": csrf_token(client, path), "password": password}
    answer = client.post(path, data={**form, "confirmation": confirmation})
    assert answer.status_code == 422
    assert message in answer.text
    assert client.get("/manage/").status_code == 302
    good = "une phrase assez longue"
    answer = client.post(path, data={**form, "password": good, "confirmation": good})
    assert answer.status_code == 302
    assert client.get("/manage/").status_code == 200
