"""Accounts in the back office: an admin lists, creates (the link shown, emailed when asked)
and disables them; nobody else may."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from service.accounts import services
from service.accounts.models import User
from tests.manage.clients import csrf_token, sign_in


@pytest.fixture
def admin(client, factory):
    sign_in(client, "admin@example.org", factory.user("admin@example.org", "admin"))
    return client


def create(client, **form):
    return client.post(
        "/manage/users", data={**form, "csrf_token": csrf_token(client, "/manage/users")}
    )


def test_an_admin_creates_an_account_and_sees_its_link(db, admin):
    page = create(admin, email="Claire@Example.org", role="comms")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "Rien n’a été envoyé à claire@example.org" in text
    link = text.split('id="link" value="', 1)[1].split('"', 1)[0]
    assert "/manage/link/" in link
    listing = unescape(admin.get("/manage/users").text)
    assert "claire@example.org" in listing
    assert "pas encore de mot de passe" in listing


def test_a_door_account_is_made_for_events(db, admin, factory):
    event_id = factory.event(title="Rencontre de la porte")
    refused = create(admin, email="porte@example.org", role="door")
    assert refused.status_code == 422
    assert "au moins un événement" in unescape(refused.text)
    assert (
        create(admin, email="porte@example.org", role="door", events=str(event_id)).status_code
        == 200
    )
    with db.transaction(write=False) as session:
        assert services.find_user(session, "porte@example.org").event_ids == {event_id}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"email": "admin@example.org", "role": "comms"}, "déjà un compte"),
        ({"email": "pas-une-adresse", "role": "comms"}, "n’est pas valide"),
        ({"email": "x@example.org", "role": "king"}, "Choisissez un rôle."),
    ],
)
def test_a_wrong_account_is_refused_and_nothing_made(db, admin, form, message):
    page = create(admin, **form)
    assert page.status_code == 422
    assert message in unescape(page.text)
    with db.transaction(write=False) as session:
        assert session.scalars(select(User.email)).all() == ["admin@example.org"]


def test_an_admin_disables_an_account_but_not_their_own(db, admin, factory):
    factory.user("comms@example.org", "comms")
    with db.transaction(write=False) as session:
        them = services.find_user(session, "comms@example.org").id
        me = services.find_user(session, "admin@example.org").id
    path = f"/manage/users/{them}/disable"
    assert admin.get(path).status_code == 200
    admin.post(path, data={"csrf_token": csrf_token(admin, path)})
    own = f"/manage/users/{me}/disable"
    answer = admin.post(own, data={"csrf_token": csrf_token(admin, "/manage/users")})
    assert answer.status_code == 302
    with db.transaction(write=False) as session:
        assert services.find_user(session, "comms@example.org").disabled_at is not None
        assert services.find_user(session, "admin@example.org").disabled_at is None


@pytest.mark.parametrize("role", ["organiser", "comms"])
def test_only_admins_see_or_touch_accounts(db, client, factory, role):
    sign_in(client, f"{role}@example.org", factory.user(f"{role}@example.org", role))
    token = csrf_token(client, "/manage/")
    assert "Comptes" not in client.get("/manage/").text
    assert client.get("/manage/users").status_code == 403
    assert client.post("/manage/users", data={"csrf_token": token, "email": "x@example.org",
                                             "role": "admin"}).status_code == 403  # fmt: skip
    assert client.post("/manage/users/1/disable", data={"csrf_token": token}).status_code == 403
    with db.transaction(write=False) as session:
        assert session.scalars(select(User.email).order_by(User.email)).all() == [
            f"{role}@example.org"
        ]
        assert session.scalars(select(User.disabled_at)).all() == [None]
